// The loader a shop embeds with one <script> tag (served as /widget.js):
//   <script src="https://SERVICE/widget.js" data-color="#c2410c" data-position="right" data-title="…"
//           data-greeting="…" data-locale="zh-Hans" async></script>
// or, before it, window.faqbotSettings = {color, position, title, greeting, locale, user}.
// It draws the launcher (with an unread badge), holds the chat in an iframe from the service's origin (full screen
// on phones), blinks the page title while messages are unread, and offers window.faqbot:
//   open(), close(), toggle(), setLocale(locale), setUser({name, email, externalId, signature}),
//   on("message" | "handoff" | "open" | "close", listener).
// No conversation starts until the customer sends a first message.
import { htmlLang, resolveLocale, translate, type Locale } from "../i18n";
import { isFromFrame, type ToFrame, type WidgetSettings, type WidgetUser } from "./protocol";

(function () {
  const w = window as any;
  if (w.faqbot && w.faqbot.__loaded) return;
  const script = (document.currentScript as HTMLScriptElement | null)
    || (document.querySelector('script[src*="/widget.js"]') as HTMLScriptElement | null);
  const origin = new URL(script ? script.src : "/widget.js", location.href).origin;
  const data = script ? script.dataset : ({} as DOMStringMap);
  const given: WidgetSettings = w.faqbotSettings || {};
  const settings: WidgetSettings = {
    color: given.color || data.color,
    position: (given.position || data.position) === "left" ? "left" : "right",
    title: given.title || data.title,
    greeting: given.greeting || data.greeting,
    locale: given.locale || data.locale,
    user: given.user,
  };
  let locale: Locale = resolveLocale(settings.locale) || resolveLocale(document.documentElement.lang)
    || resolveLocale(navigator.language) || "en";
  const side = settings.position === "left" ? "left" : "right";
  const accent = settings.color && /^#[0-9a-f]{3,8}$|^rgb/i.test(settings.color) ? settings.color : "#1d4ed8";
  const listeners: Record<string, Array<(detail: unknown) => void>> = {};
  let isOpen = false;
  let ready = false;
  let unread = 0;
  const queued: ToFrame[] = [];

  const style = document.createElement("style");
  style.textContent = `
#faqbot-launcher{position:fixed;${side}:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;margin:0;
  padding:0;background:${accent};color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);
  z-index:2147483646;display:flex;align-items:center;justify-content:center}
#faqbot-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}
#faqbot-launcher svg{width:28px;height:28px;fill:currentColor}
#faqbot-unread{position:absolute;top:-4px;${side === "right" ? "left" : "right"}:-4px;min-width:22px;height:22px;
  padding:0 6px;border-radius:11px;background:#dc2626;color:#fff;font:700 12px/22px system-ui,sans-serif;
  text-align:center;box-shadow:0 0 0 2px #fff}
#faqbot-frame{position:fixed;${side}:20px;bottom:92px;width:384px;height:min(640px,calc(100vh - 112px));border:0;
  border-radius:14px;box-shadow:0 12px 32px rgba(0,0,0,.25);z-index:2147483647;background:#fff;display:none;
  color-scheme:light}
#faqbot-frame.faqbot-open{display:block}
@media (max-width:480px){
  #faqbot-frame{left:0;right:0;top:0;bottom:0;width:100%;height:100%;border-radius:0;box-shadow:none}
  #faqbot-frame.faqbot-open ~ #faqbot-launcher{display:none}
}`;

  const frame = document.createElement("iframe");
  frame.id = "faqbot-frame";
  const params = new URLSearchParams({ embedded: "1", locale, page: location.href });
  if (settings.color) params.set("color", accent);
  if (settings.title) params.set("title", settings.title);
  if (settings.greeting) params.set("greeting", settings.greeting);
  frame.src = origin + "/?" + params.toString();
  frame.setAttribute("allow", "clipboard-write");

  const launcher = document.createElement("button");
  launcher.id = "faqbot-launcher";
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4 21.5l4.6-2.2c1.1.3 2.2.5 3.4.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg>';
  const badge = document.createElement("span");
  badge.id = "faqbot-unread";
  badge.hidden = true;
  launcher.appendChild(badge);

  function t(key: Parameters<typeof translate>[1], values?: Record<string, string | number>) {
    return translate(locale, key, values);
  }

  function label() {
    const title = settings.title || t("widget.title");
    frame.title = title;
    frame.setAttribute("lang", htmlLang(locale));
    launcher.setAttribute("aria-label", isOpen ? t("widget.close") : t("widget.open"));
    launcher.setAttribute("aria-expanded", String(isOpen));
    launcher.title = title;
    badge.setAttribute("aria-label", t("widget.unread", { count: unread }));
  }

  function post(message: ToFrame) {
    if (ready && frame.contentWindow) frame.contentWindow.postMessage(message, origin);
    else queued.push(message);
  }

  function emit(name: string, detail: unknown) {
    (listeners[name] || []).forEach((fn) => { try { fn(detail); } catch (err) { console.error(err); } });
  }

  // the page's title blinks while messages wait unread and the chat is closed
  const pageTitle = { original: document.title, timer: 0 as number | undefined, on: false };
  function blink() {
    window.clearInterval(pageTitle.timer);
    pageTitle.timer = undefined;
    if (pageTitle.on) { document.title = pageTitle.original; pageTitle.on = false; }
    if (!unread || isOpen) return;
    pageTitle.original = document.title;
    const show = () => { document.title = t("widget.page_title_new", { count: unread }); pageTitle.on = true; };
    show();
    pageTitle.timer = window.setInterval(() => {
      if (pageTitle.on) { document.title = pageTitle.original; pageTitle.on = false; } else show();
    }, 1500);
  }

  function setUnread(count: number) {
    unread = isOpen ? 0 : count;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
    label();
    blink();
  }

  function open() {
    if (isOpen) return;
    isOpen = true;
    frame.classList.add("faqbot-open");
    setUnread(0);
    post({ faqbot: "page", url: location.href });
    post({ faqbot: "open" });
    frame.focus();
    emit("open", null);
  }

  function close(restoreFocus = true) {
    if (!isOpen) return;
    isOpen = false;
    frame.classList.remove("faqbot-open");
    post({ faqbot: "close" });
    label();
    if (restoreFocus) launcher.focus();
    emit("close", null);
  }

  launcher.addEventListener("click", () => (isOpen ? close() : open()));
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && isOpen) close(); });

  window.addEventListener("message", (ev) => {
    if (ev.origin !== origin || ev.source !== frame.contentWindow || !isFromFrame(ev.data)) return;
    const message = ev.data;
    if (message.faqbot === "ready") {
      ready = true;
      queued.splice(0).forEach(post);
    } else if (message.faqbot === "close") {
      close();
    } else if (message.faqbot === "unread") {
      setUnread(message.count);
    } else if (message.faqbot === "event") {
      emit(message.name, message.detail);
    }
  });

  function setUser(user: WidgetUser) {
    if (user && typeof user === "object") post({ faqbot: "user", user });
  }

  w.faqbot = {
    __loaded: true,
    open, close: () => close(), toggle: () => (isOpen ? close() : open()),
    setLocale(tag: string) {
      const next = resolveLocale(tag);
      if (!next) return;
      locale = next;
      label();
      post({ faqbot: "locale", locale });
    },
    setUser,
    on(name: string, fn: (detail: unknown) => void) { (listeners[name] ||= []).push(fn); },
  };

  function mount() {
    document.head.appendChild(style);
    document.body.appendChild(frame);
    document.body.appendChild(launcher);
    label();
    if (settings.user) setUser(settings.user);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
