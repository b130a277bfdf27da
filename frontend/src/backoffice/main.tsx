import { render } from "preact";
import "../shared/tokens.css";
import "./backoffice.css";
import { App } from "./App";

render(<App />, document.getElementById("root")!);
