// The one Markdown renderer of the product: bot answers in the widget, articles in the console and the editor's
// live preview all go through renderMarkdown, so what an editor previews is exactly what a customer sees.
// markdown-it never passes raw HTML through (html: false) and DOMPurify cleans the result again, so an article
// or a customer cannot inject script.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

const ALLOWED_TAGS = ["p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "code", "pre", "blockquote",
  "h1", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td", "del", "s"];

export function renderMarkdown(source: string): string {
  const html = md.render(source ?? "");
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR: ["href", "title", "target", "rel"],
                                    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|tel:|\/|#)/i });
}
