// The back office's sections: where each lives, who may see it, and what draws it.
// To fill a section, replace its `component` (keep the id, path and roles in step with the server's rules).
import type { ComponentType } from "preact";
import type { MessageKey } from "../i18n";
import type { Role } from "../shared/session";
import { Inbox } from "./sections/inbox/Inbox";
import { KnowledgeBase } from "./sections/kb/KnowledgeBase";
import { Questions } from "./sections/questions/Questions";
import { Placeholder } from "./sections/Placeholder";
import type { SectionProps } from "./types";

export interface Section {
  id: string;
  path: string;             // under /app/
  label: MessageKey;
  roles: readonly Role[];   // admin sees every section
  component: ComponentType<SectionProps>;
}

export const SECTIONS: Section[] = [
  { id: "inbox", path: "/app/inbox", label: "app.nav.inbox", roles: ["agent", "supervisor"], component: Inbox },
  { id: "kb", path: "/app/kb", label: "app.nav.kb", roles: ["editor"], component: KnowledgeBase },
  { id: "questions", path: "/app/questions", label: "app.nav.questions", roles: ["editor"], component: Questions },
  { id: "analytics", path: "/app/analytics", label: "app.nav.analytics", roles: ["supervisor"], component: Placeholder },
  { id: "team", path: "/app/team", label: "app.nav.team", roles: ["supervisor"], component: Placeholder },
  { id: "audit", path: "/app/audit", label: "app.nav.audit", roles: ["admin"], component: Placeholder },
];

export function sectionFor(path: string): Section | undefined {
  return SECTIONS.find((s) => path === s.path || path.startsWith(s.path + "/"));
}
