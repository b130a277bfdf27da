import { render } from "preact";
import "../shared/tokens.css";
import "./widget.css";
import { ChatRoot } from "./ChatApp";

render(<ChatRoot />, document.getElementById("root")!);
