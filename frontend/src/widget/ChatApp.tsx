// The chat the customer sees: in the widget's iframe (embedded=1) or full window at /.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { htmlLang, i18nValue, I18nContext, localeOfText, resolveLocale, serviceLanguage, useI18n, type Locale, type MessageKey } from "../i18n";
import { ApiError, wsUrl } from "../shared/api";
import { Avatar, formatTime } from "../shared/components";
import { Markdown } from "../shared/Markdown";
import { LiveSocket } from "../shared/socket";
import { newClientId, service, storage, type Message, type Outgoing, type Session, type Status, type Topic } from "./conversation";
import type { FromFrame, ToFrame, WidgetUser } from "./protocol";

const params = new URLSearchParams(location.search);
const EMBEDDED = params.get("embedded") === "1";
const FEEDBACK_PAYLOADS = new Set(["/affirm", "/deny"]);
const NEW_CONVERSATION = "/new_conversation";
const ERROR_TEXT: Record<string, MessageKey> = {
  empty_message: "widget.empty_message", stale_button: "widget.stale_button", contact_required: "widget.ticket.contact_required",
};

function toLoader(message: FromFrame) {
  if (EMBEDDED && window.parent !== window) window.parent.postMessage(message, "*");
}

function initialLocale(): Locale {
  return resolveLocale(params.get("locale")) || resolveLocale(navigator.language) || "en";
}

export function ChatRoot() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const i18n = useMemo(() => i18nValue(locale), [locale]);
  useEffect(() => { document.documentElement.lang = htmlLang(locale); document.title = params.get("title") || i18n.t("widget.title"); }, [locale]);
  return <I18nContext.Provider value={i18n}><Chat setLocale={setLocale} /></I18nContext.Provider>;
}

function errorText(err: unknown, t: ReturnType<typeof useI18n>["t"]): string {
  if (err instanceof ApiError) {
    if (err.code === "message_too_long") return t("widget.too_long", { limit: 2000 });
    if (err.code in ERROR_TEXT) return t(ERROR_TEXT[err.code]);
    if (err.code === "invalid_request" && /email/.test(err.message)) return t("widget.ticket.invalid_email");
  }
  return t("common.error");
}

/** A delivery failure worth retrying (no network, the service restarting) rather than a refusal. */
function retryable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 0 || err.status === 502 || err.status === 503 || err.status === 504);
}

function Chat({ setLocale }: { setLocale: (l: Locale) => void }) {
  const { t, locale } = useI18n();
  const [session, setSession] = useState<Session | null>(storage.session);
  const [messages, setMessages] = useState<Message[]>([]);
  const [outbox, setOutbox] = useState<Outgoing[]>(storage.outbox);
  const [status, setStatus] = useState<Status>({ mode: "bot", handoff: null });
  const [online, setOnline] = useState(true);
  // the service refused a message for a reason that passes (503: its database is restarting): the text stays
  // in the outbox, marked "not delivered" with a retry button; the outbox also retries every few seconds
  const [undelivered, setUndelivered] = useState(false);
  const [error, setError] = useState("");
  const [text, setText] = useState("");
  const [typing, setTyping] = useState<string | null>(null);
  const [topics, setTopics] = useState<Topic[]>([]);
  const [openTopic, setOpenTopic] = useState<string | null>(null);
  const [open, setOpen] = useState(!EMBEDDED);
  const [unread, setUnread] = useState(0);
  const [pressed, setPressed] = useState<Record<number, string>>({});
  const logRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const socketRef = useRef<LiveSocket | null>(null);
  const lastSeq = useRef(0);
  const pageUrl = useRef(params.get("page") || document.referrer || location.href);
  const user = useRef<WidgetUser | null>(null);
  const flushing = useRef(false);
  const openRef = useRef(open);
  openRef.current = open;
  const localeRef = useRef(locale);
  localeRef.current = locale;
  const typingTimer = useRef<number>();
  const lastTypingSent = useRef(0);

  const accent = params.get("color");
  useEffect(() => { if (accent) document.documentElement.style.setProperty("--fb-accent", accent); }, []);

  useEffect(() => { storage.saveOutbox(outbox); }, [outbox]);
  useEffect(() => {
    service.topics(locale).then((r) => setTopics(r.topics.slice(0, 6))).catch(() => setTopics([]));
  }, [locale]);

  function merge(incoming: Message[]) {
    if (!incoming.length) return;
    let fresh = 0;
    setMessages((current) => {
      const bySeq = new Map(current.map((m) => [m.seq, m]));
      for (const m of incoming) {
        if (!bySeq.has(m.seq) && m.sender !== "customer") fresh++;
        bySeq.set(m.seq, m);
      }
      return Array.from(bySeq.values()).sort((a, b) => a.seq - b.seq);
    });
    for (const m of incoming) {
      lastSeq.current = Math.max(lastSeq.current, m.seq);
      if (m.sender !== "customer") toLoader({ faqbot: "event", name: "message", detail: { sender: m.sender, text: m.text } });
      if (m.sender === "agent") setTyping(null);
      const event = m.data?.event;
      if (event === "agent_joined" || event === "agent_transferred") {
        setStatus({ mode: "human", handoff: { id: m.data.handoff_id, status: "assigned", reason: "", agent_name: m.data.agent } });
      } else if (event === "handoff_resolved" || event === "agent_resolved") {
        setStatus({ mode: "bot", handoff: null });
      } else if (event === "requeued" || event === "queued") {
        refreshStatus();
      }
    }
    if (!openRef.current && fresh) setUnread((n) => n + fresh);
  }

  function applyStatus(next: Status) {
    setStatus((before) => {
      if ((before.handoff?.status ?? null) !== (next.handoff?.status ?? null)) {
        toLoader({ faqbot: "event", name: "handoff", detail: { mode: next.mode, status: next.handoff?.status ?? null } });
      }
      return next;
    });
  }

  async function refreshStatus() {
    const current = session || storage.session();
    if (!current) return;
    try { applyStatus(await service.status(current)); } catch (err) { /* the next event will tell */ }
  }

  // the live connection (only once a conversation exists)
  useEffect(() => {
    if (!session) return;
    document.body.dataset.conversationId = session.conversation_id;
    const socket = new LiveSocket({
      url: () => wsUrl(service.eventsPath(session, lastSeq.current)),
      onEvent: (event) => {
        if (event.type === "message") merge([event.message]);
        else if (event.type === "typing" && event.sender === "agent") {
          setTyping(event.name || t("widget.agent"));
          window.clearTimeout(typingTimer.current);
          typingTimer.current = window.setTimeout(() => setTyping(null), 4000);
        } else if (event.type === "queue") {
          setStatus((s) => s.handoff && s.handoff.status === "queued" ? { ...s, handoff: { ...s.handoff, queue: event } } : s);
        }
      },
      onState: (connected) => {
        setOnline(connected);
        if (connected) { refreshStatus(); flush(); }
      },
      onFatal: (code) => {
        // 4403: the conversation is gone (erased, or a new database); 4401: it has ended (expired)
        if (code !== 4403 && code !== 4401) return false;
        startAfresh();
        return true;
      },
    });
    socketRef.current = socket;
    const kick = () => socket.kick();
    window.addEventListener("online", kick);
    return () => { window.removeEventListener("online", kick); socket.close(); socketRef.current = null; };
  }, [session?.conversation_id]);

  // send what waits in the outbox, oldest first, each exactly once (the service de-duplicates on client_id)
  async function flush() {
    if (flushing.current) return;
    flushing.current = true;
    try {
      for (;;) {
        const pending = storage.outbox();
        if (!pending.length) break;
        const item = pending[0];
        let current = storage.session();
        try {
          if (!current) {
            const created = await service.start(pageUrl.current, serviceLanguage(localeRef.current), user.current);
            current = { conversation_id: created.conversation_id, token: created.token };
            storage.saveSession(current);
            setSession(current);
          }
          const result = await service.send(current, item);
          const rest = storage.outbox().filter((o) => o.client_id !== item.client_id);
          storage.saveOutbox(rest);
          setOutbox(rest);
          merge(result.messages);
          applyStatus({ mode: result.mode, handoff: result.handoff });
          setOnline(true);
          setUndelivered(false);
        } catch (err) {
          if (retryable(err)) {
            if (err instanceof ApiError && err.status === 0) setOnline(false);  // no network
            else setUndelivered(true);  // the service answered: it is there, but cannot take it yet
            break;
          }
          const rest = storage.outbox().filter((o) => o.client_id !== item.client_id);
          storage.saveOutbox(rest);
          setOutbox(rest);
          setError(errorText(err, t));
          if (!item.payload && !(err instanceof ApiError && err.code === "stale_button")) setText((v) => v || item.text);
        }
      }
    } finally {
      flushing.current = false;
    }
  }

  // while something waits to be sent, try again every few seconds
  useEffect(() => {
    if (!outbox.length) return;
    const timer = window.setInterval(() => { if (!flushing.current) flush(); }, 3000);
    return () => window.clearInterval(timer);
  }, [outbox.length > 0]);

  useEffect(() => { if (outbox.length) flush(); }, []);

  function queue(item: Omit<Outgoing, "client_id" | "created_at">) {
    const entry: Outgoing = { ...item, client_id: newClientId(), created_at: new Date().toISOString() };
    const next = [...storage.outbox(), entry];
    storage.saveOutbox(next);
    setOutbox(next);
    flush();
  }

  function submit(ev: Event) {
    ev.preventDefault();
    const value = text.trim();
    setError("");
    if (!value) { setError(t("widget.empty_message")); return; }
    if (value.length > 2000) { setError(t("widget.too_long", { limit: 2000 })); return; }
    const written = localeOfText(value);
    if (written === "zh") { if (localeRef.current === "en") setLocale("zh-Hans"); }
    else if (written && written !== localeRef.current) setLocale(written);
    setText("");
    queue({ text: value });
  }

  function startAfresh() {
    storage.saveSession(null);
    setSession(null);
    setMessages([]);
    lastSeq.current = 0;
  }

  function press(message: Message, button: { title: string; payload: string }) {
    setError("");
    if (button.payload === NEW_CONVERSATION) { startAfresh(); return; }  // offered when a conversation is full
    setPressed((p) => ({ ...p, [message.seq]: button.payload }));
    queue({ text: button.title, payload: button.payload, reply_to: message.seq });
  }

  // messages from the loader
  useEffect(() => {
    const onMessage = (ev: MessageEvent) => {
      if (ev.source !== window.parent || !ev.data || typeof ev.data.faqbot !== "string") return;
      const message = ev.data as ToFrame;
      if (message.faqbot === "open") { setOpen(true); setUnread(0); window.setTimeout(() => inputRef.current?.focus(), 0); }
      else if (message.faqbot === "close") setOpen(false);
      else if (message.faqbot === "page") pageUrl.current = message.url;
      else if (message.faqbot === "locale") { const l = resolveLocale(message.locale); if (l) setLocale(l); }
      else if (message.faqbot === "user") {
        user.current = message.user;
        const current = storage.session();
        if (current) service.setUser(current, message.user).catch(() => {});
      }
    };
    window.addEventListener("message", onMessage);
    toLoader({ faqbot: "ready" });
    return () => window.removeEventListener("message", onMessage);
  }, []);

  useEffect(() => { toLoader({ faqbot: "unread", count: open ? 0 : unread }); }, [unread, open]);

  // the newest message is in view whenever something arrives or the widget opens
  useEffect(() => {
    if (!open) return;
    const log = logRef.current;
    if (log) requestAnimationFrame(() => { log.scrollTop = log.scrollHeight; });
  }, [messages.length, outbox.length, open, typing, status.handoff?.status]);

  function close() { toLoader({ faqbot: "close" }); setOpen(false); }

  useEffect(() => {
    if (!EMBEDDED) return;
    const onKey = (ev: KeyboardEvent) => { if (ev.key === "Escape") close(); };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  function onInput(value: string) {
    setText(value);
    const now = Date.now();
    if (status.mode === "human" && now - lastTypingSent.current > 800 && socketRef.current?.send({ type: "typing" })) {
      lastTypingSent.current = now;
    }
  }

  const handoff = status.mode === "human" ? status.handoff : null;
  const waiting = handoff?.status === "queued";
  const unavailable = waiting && (handoff?.agents_available === false || !handoff?.queue);
  const lastOfflineForm = [...messages].reverse().find((m) => m.data?.offline_form);
  const showTicketForm = !!lastOfflineForm && waiting && !!unavailable;
  const ratingMessage = [...messages].reverse().find((m) => m.sender === "bot" && m.data?.rating_request);
  const ratedAfter = ratingMessage && messages.some((m) => m.seq > ratingMessage.seq && m.data?.event === "rating");
  const showRating = !!ratingMessage && !ratedAfter && status.mode === "bot";

  // a ticket form that goes away (an agent joined) gives what was typed in it to the composer
  const ticketDraft = useRef("");
  useEffect(() => {
    if (!showTicketForm && ticketDraft.current) { setText((v) => v || ticketDraft.current); ticketDraft.current = ""; }
  }, [showTicketForm]);

  const subtitle = handoff?.status === "assigned" ? t("widget.status.with_agent", { name: handoff.agent_name || t("widget.agent") })
    : handoff?.status === "ticket" ? t("widget.status.ticket")
    : unavailable ? t("widget.status.unavailable")
    : waiting ? t("widget.status.waiting") : t("widget.status.bot");
  const title = params.get("title") || t("widget.title");

  return (
    <div class={"chat" + (EMBEDDED ? " embedded" : "")} role={EMBEDDED ? "dialog" : undefined} aria-label={title}>
      <header class="chat-header">
        <Avatar name={handoff?.status === "assigned" ? handoff.agent_name : null} kind={handoff?.status === "assigned" ? "agent" : "bot"} />
        <div class="chat-heading">
          <h1>{title}</h1>
          <span class="status" id="status">{subtitle}</span>
        </div>
        <button type="button" class="fb-icon-btn" id="download" aria-label={t("widget.download")} title={t("widget.download")}
                onClick={() => downloadTranscript(messages, title, locale, t)} disabled={!messages.length}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M11 4h2v9l3.5-3.5 1.4 1.4L12 16.8l-5.9-5.9 1.4-1.4L11 13z M5 18h14v2H5z" /></svg>
        </button>
        {EMBEDDED && <button type="button" class="fb-icon-btn" id="minimise" aria-label={t("widget.minimise")} title={t("widget.minimise")} onClick={close}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 11h14v2H5z" /></svg></button>}
        {EMBEDDED && <button type="button" class="fb-icon-btn" id="close" aria-label={t("widget.close")} title={t("widget.close")} onClick={close}>
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z" /></svg></button>}
      </header>
      {!online && <div class="notice offline" id="offline" role="status">{t("widget.offline")}</div>}
      {online && undelivered && outbox.length > 0 && (
        <div class="notice offline" id="undelivered" role="status">{t("widget.undelivered")}</div>
      )}
      {waiting && !unavailable && handoff?.queue && (
        <div class="notice" id="banner" role="status" data-position={handoff.queue.position}>
          {t("widget.queue_position", { position: handoff.queue.position })}
          {handoff.queue.eta_seconds != null && " " + t("widget.queue_eta", { minutes: Math.max(1, Math.round(handoff.queue.eta_seconds / 60)) })}
          {" "}<button type="button" class="linkish" id="leave" onClick={() => session && service.leave(session).then(refreshStatus).catch((e) => setError(errorText(e, t)))}>{t("widget.leave_queue")}</button>
        </div>
      )}
      <div class="log" id="log" ref={logRef} role="log" aria-live="polite" aria-label={t("widget.log_label")} tabIndex={0}>
        <div class="msg bot greeting">
          <span class="who"><Avatar name={null} kind="bot" /> {t("widget.bot")}</span>
          <div class="text">{params.get("greeting") || t("widget.greeting")}</div>
          {topics.length > 0 && (
            <div class="topics buttons" role="group" aria-label={t("widget.topics")}>
              {topics.map((topic) => (
                <button type="button" aria-expanded={openTopic === topic.category}
                        class={openTopic === topic.category ? "active" : ""}
                        onClick={() => setOpenTopic(openTopic === topic.category ? null : topic.category)}>
                  {topicLabel(topic.category, t)}
                </button>
              ))}
            </div>
          )}
          {openTopic && (
            <div class="buttons topic-questions">
              {topics.find((x) => x.category === openTopic)?.articles.map((a) => (
                <button type="button" onClick={() => queue({ text: a.title })}>{a.title}</button>
              ))}
            </div>
          )}
        </div>
        {messages.map((m) => (
          <MessageView key={m.seq} message={m} messages={messages} pressed={pressed[m.seq]} onPress={press} />
        ))}
        {outbox.map((o) => (
          <div class="msg customer pending" key={o.client_id} data-client-id={o.client_id}>
            <div class="text">{o.text}</div>
            {!online ? <span class="meta">{t("widget.not_sent")}</span>  /* sent by itself when the network is back */
              : !undelivered ? <span class="meta">{t("widget.sending")}</span> : (
              <span class="meta failed">{t("widget.not_delivered")} ·{" "}
                <button type="button" class="retry" onClick={() => flush()}>{t("widget.retry")}</button>
              </span>
            )}
          </div>
        ))}
        {showTicketForm && session && (
          <TicketForm session={session} draft={ticketDraft} onDone={(r) => { merge(r.messages); applyStatus(r); }} />
        )}
        {showRating && session && ratingMessage && (
          <RatingForm session={session} onDone={(ms) => merge(ms)} />
        )}
      </div>
      {typing && <div class="typing" id="typing" aria-live="polite">{t("widget.typing", { name: typing })}</div>}
      <div class="error" id="error" role="alert">{error}</div>
      <form class="composer" id="composer" onSubmit={submit}>
        <input id="text" ref={inputRef} autocomplete="off" maxLength={2000} value={text}
               placeholder={t("widget.placeholder")} aria-label={t("widget.message_label")}
               onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
        <button type="submit" id="send">{t("widget.send")}</button>
      </form>
    </div>
  );
}

function topicLabel(category: string, t: ReturnType<typeof useI18n>["t"]): string {
  const key = ("topic." + category) as MessageKey;
  const label = t(key);
  return label === key ? category.charAt(0).toUpperCase() + category.slice(1) : label;
}

/** Quick replies of a message retire once the customer moved on: wrote something, or pressed a button of this
 * message or a later one. 👍/👎 on an answer stay usable. */
function retired(message: Message, messages: Message[]): boolean {
  return messages.some((m) => m.seq > message.seq && m.sender === "customer"
    && !(typeof m.data?.reply_to === "number" && m.data.reply_to < message.seq));
}

function MessageView({ message: m, messages, pressed, onPress }: {
  message: Message; messages: Message[]; pressed?: string; onPress: (m: Message, b: { title: string; payload: string }) => void;
}) {
  const { t, locale } = useI18n();
  const buttons: { title: string; payload: string }[] = Array.isArray(m.data?.buttons) ? m.data.buttons : [];
  const feedback = !!m.data?.asks_feedback;
  const done = retired(m, messages);
  const who = m.sender === "agent" ? (m.data?.agent || t("widget.agent")) : m.sender === "bot" ? t("widget.bot") : null;
  return (
    <div class={"msg " + m.sender} data-seq={m.seq} data-article-id={m.data?.article_id || undefined}>
      {who && <span class="who"><Avatar name={m.sender === "agent" ? who : null} kind={m.sender === "agent" ? "agent" : "bot"} /> {who}</span>}
      {m.sender === "customer" || m.sender === "system" ? <div class="text">{m.text}</div> : <Markdown class="text" text={m.text} />}
      {buttons.length > 0 && (
        <div class="buttons">
          {buttons.map((b) => {
            const isFeedback = feedback && FEEDBACK_PAYLOADS.has(b.payload);
            const off = !isFeedback && done;
            return (
              <button type="button" disabled={off} aria-pressed={isFeedback ? pressed === b.payload : undefined}
                      class={isFeedback ? "feedback" : ""} title={off ? t("widget.button_retired") : undefined}
                      onClick={() => onPress(m, b)}>{b.title}</button>
            );
          })}
        </div>
      )}
      {m.sender !== "system" && <time class="meta" dateTime={m.created_at}>{formatTime(m.created_at, htmlLang(locale))}</time>}
    </div>
  );
}

function TicketForm({ session, draft, onDone }: { session: Session; draft: { current: string };
                                                  onDone: (r: Status & { messages: Message[] }) => void }) {
  const { t } = useI18n();
  const [values, setValues] = useState({ name: "", email: "", phone: "", message: "" });
  const [error, setError] = useState("");
  const field = (name: keyof typeof values) => ({
    name, value: values[name], class: "fb-input",
    onInput: (e: Event) => {
      const value = (e.target as HTMLInputElement).value;
      setValues((v) => ({ ...v, [name]: value }));
      if (name === "message") draft.current = value;
    },
  });
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError("");
    if (!values.message.trim()) { setError(t("widget.empty_message")); return; }
    if (!values.email.trim() && !values.phone.trim()) { setError(t("widget.ticket.contact_required")); return; }
    try {
      const result = await service.ticket(session, { message: values.message.trim(), name: values.name.trim() || null,
        email: values.email.trim() || null, phone: values.phone.trim() || null });
      draft.current = "";
      onDone(result);
    } catch (err) { setError(errorText(err, t)); }
  };
  return (
    <form class="card ticket-form" onSubmit={submit} aria-labelledby="ticket-title">
      <strong id="ticket-title">{t("widget.ticket.title")}</strong>
      <p>{t("widget.ticket.intro")}</p>
      <label class="fb-field"><span>{t("widget.ticket.name")}</span><input {...field("name")} maxLength={120} autocomplete="name" /></label>
      <label class="fb-field"><span>{t("widget.ticket.email")}</span><input {...field("email")} type="email" autocomplete="email" /></label>
      <label class="fb-field"><span>{t("widget.ticket.phone")}</span><input {...field("phone")} maxLength={40} autocomplete="tel" /></label>
      <label class="fb-field"><span>{t("widget.ticket.question")}</span><textarea {...(field("message") as any)} rows={3} maxLength={2000} /></label>
      <button type="submit" class="fb-btn primary">{t("widget.ticket.send")}</button>
      <div class="fb-error" role="alert">{error}</div>
    </form>
  );
}

function RatingForm({ session, onDone }: { session: Session; onDone: (messages: Message[]) => void }) {
  const { t } = useI18n();
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState("");
  const [error, setError] = useState("");
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!score) { setError(t("widget.rating.choose")); return; }
    try { onDone((await service.rate(session, score, comment.trim() || null)).messages); }
    catch (err) { setError(errorText(err, t)); }
  };
  return (
    <form class="card rating-form" onSubmit={submit} aria-labelledby="rating-title">
      <strong id="rating-title">{t("widget.rating.title")}</strong>
      <div class="stars" role="group" aria-labelledby="rating-title">
        {[1, 2, 3, 4, 5].map((i) => (
          <button type="button" data-score={i} class={i <= score ? "on" : ""} aria-pressed={i === score}
                  aria-label={t("widget.rating.star", { n: i })} onClick={() => setScore(i)}>★</button>
        ))}
      </div>
      <label class="fb-field"><span>{t("widget.rating.comment")}</span>
        <input class="fb-input" name="comment" maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} /></label>
      <button type="submit" class="fb-btn primary">{t("widget.rating.send")}</button>
      <div class="fb-error" role="alert">{error}</div>
    </form>
  );
}

function downloadTranscript(messages: Message[], title: string, locale: Locale, t: ReturnType<typeof useI18n>["t"]) {
  const lang = htmlLang(locale);
  const lines = [title + " — " + t("widget.transcript_title"), new Date().toLocaleString(lang), ""];
  for (const m of messages) {
    const who = m.sender === "customer" ? t("widget.you") : m.sender === "agent" ? (m.data?.agent || t("widget.agent"))
      : m.sender === "bot" ? t("widget.bot") : "—";
    lines.push(`[${new Date(m.created_at).toLocaleString(lang)}] ${who}: ${m.text}`);
  }
  const blob = new Blob(["\ufeff" + lines.join("\n") + "\n"], { type: "text/plain;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = "transcript-" + new Date().toISOString().slice(0, 10) + ".txt";
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
