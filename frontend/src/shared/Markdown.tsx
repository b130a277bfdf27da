import { renderMarkdown } from "./markdown";

/** Markdown shown to a person (sanitized; see markdown.ts). */
export function Markdown({ text, class: cls }: { text: string; class?: string }) {
  return <div class={"fb-md" + (cls ? " " + cls : "")} dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />;
}
