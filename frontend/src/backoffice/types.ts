import type { Auth } from "../shared/api";
import type { AgentAccount } from "../shared/session";
import type { Section } from "./sections";

/** What every section gets from the shell. */
export interface SectionProps {
  section: Section;
  me: AgentAccount;
  auth: Auth;
  path: string;                         // the full path (a section may use what follows its own path)
  onAccountChange: (me: AgentAccount) => void;
  onSignedOut: () => void;              // the session ended (401)
}
