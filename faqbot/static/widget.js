// Embed with: <script src="https://YOUR-FAQBOT-HOST/widget.js" async></script>
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script ? script.src : "/widget.js", location.href).origin;
  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "Chat with customer service");
  button.textContent = "💬";
  button.style.cssText = "position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;" +
    "background:#2563eb;color:#fff;font-size:24px;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.2);z-index:2147483646";
  var frame = document.createElement("iframe");
  frame.title = "Customer service chat";
  frame.src = origin + "/?embedded=1";
  frame.style.cssText = "position:fixed;right:20px;bottom:88px;width:380px;height:560px;max-height:80vh;border:0;" +
    "border-radius:12px;box-shadow:0 8px 24px rgba(0,0,0,.2);display:none;z-index:2147483647;background:#fff";
  button.addEventListener("click", function () {
    frame.style.display = frame.style.display === "none" ? "block" : "none";
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
