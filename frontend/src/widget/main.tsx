import { render } from "preact";
import "../shared/tokens.css";

render(<p>widget</p>, document.getElementById("root")!);
