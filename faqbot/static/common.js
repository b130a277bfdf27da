// Shared by the chat page and the agent console.
// Renders the small Markdown subset the knowledge base uses (**bold**, *italic*) with DOM nodes only:
// text never goes through innerHTML, so customer or article text cannot inject markup.
window.faqbot = window.faqbot || {};
window.faqbot.renderInline = function (element, text) {
  const pattern = /(\*\*[^*\n]+\*\*|\*[^*\n]+\*)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) element.appendChild(document.createTextNode(text.slice(last, match.index)));
    const bold = match[0].startsWith("**");
    const node = document.createElement(bold ? "strong" : "em");
    node.textContent = match[0].slice(bold ? 2 : 1, bold ? -2 : -1);
    element.appendChild(node);
    last = match.index + match[0].length;
  }
  if (last < text.length) element.appendChild(document.createTextNode(text.slice(last)));
};
