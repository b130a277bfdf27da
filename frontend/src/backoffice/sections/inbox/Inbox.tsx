// The agent console: queue | conversation | customer and context. Each pane scrolls on its own; the reply box is
// always in view and the newest message comes into view when it arrives.
import { useEffect, useRef, useState } from "preact/hooks";
import { htmlLang, useI18n, type MessageKey } from "../../../i18n";
import { api, wsUrl, type Auth } from "../../../shared/api";
import { Avatar, Button, formatDateTime, formatTime, Tag } from "../../../shared/components";
import { Markdown } from "../../../shared/Markdown";
import { LiveSocket } from "../../../shared/socket";
import type { AgentAccount } from "../../../shared/session";
import type { SectionProps } from "../../types";
import { History } from "./History";
import { notify } from "./notify";
import "./inbox.css";

export interface HandoffView {
  id: string; conversation_id: string; status: string; reason: string; priority: string; category: string | null;
  language: string | null; created_at: string; first_reply_at: string | null; agent_id: string | null;
  agent_name: string | null; summary: string; page_url: string | null; customer: Record<string, string>;
  contact: Record<string, string> | null; details: Record<string, any>; note: string | null; breached: boolean;
  offered?: boolean; rating: { score: number; comment: string | null } | null;
}
export interface Msg { conversation_id: string; seq: number; sender: string; text: string; created_at: string; data: Record<string, any> }
export interface ConversationInfo { id: string; visitor: Record<string, any>; tags: string[]; page_url: string | null; created_at: string; language: string | null }

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? s + "s" : Math.floor(s / 60) + "m " + (s % 60) + "s";
}

export function Inbox({ me, auth, onAccountChange, onSignedOut }: SectionProps) {
  const { t, locale } = useI18n();
  const [handoffs, setHandoffs] = useState<HandoffView[]>([]);
  const [target, setTarget] = useState(120);
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState<"live" | "history">("live");
  const [team, setTeam] = useState<any[]>([]);
  const [canned, setCanned] = useState<any[]>([]);
  const [now, setNow] = useState(Date.now());
  const [unseen, setUnseen] = useState(0);
  const [desktop, setDesktop] = useState(false);
  const call = <T,>(method: string, path: string, body?: unknown) => api<T>(method, path, body, auth).catch((err) => {
    if (err.status === 401) onSignedOut();
    throw err;
  });

  async function refreshQueue() {
    const data = await call<{ handoffs: HandoffView[]; first_reply_target_seconds: number }>("GET", "/api/agent/handoffs");
    setHandoffs(data.handoffs);
    setTarget(data.first_reply_target_seconds);
  }
  const refreshTeam = () => call<{ agents: any[] }>("GET", "/api/agent/team").then((r) => setTeam(r.agents)).catch(() => {});
  const refreshCanned = () => call<{ replies: any[] }>("GET", "/api/agent/canned").then((r) => setCanned(r.replies)).catch(() => {});

  const handoffsRef = useRef(handoffs);
  handoffsRef.current = handoffs;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  useEffect(() => {
    refreshQueue().catch(() => {});
    refreshTeam();
    refreshCanned();
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    const poll = window.setInterval(() => { refreshQueue().catch(() => {}); refreshTeam(); }, 15000);
    const socket = new LiveSocket({
      url: () => wsUrl("/api/agent/events?token=" + encodeURIComponent((auth as any).token)),
      onState: (connected) => {
        if (!connected) return;
        refreshQueue().catch(() => {});
        call<{ agent: AgentAccount }>("GET", "/api/agent/me").then((r) => onAccountChange(r.agent)).catch(() => {});
      },
      onFatal: (code) => { if (code === 4401) { onSignedOut(); return true; } return false; },
      onEvent: (event) => {
        if (event.type === "handoff") {
          refreshQueue().catch(() => {});
          if (event.status === "queued" && !event.agent_id) alertAgent(t("inbox.notify_handoff"));
        } else if (event.type === "presence") {
          refreshTeam();
          if (event.agent_id === me.id && !event.disconnected) onAccountChange({ ...me, presence: event.presence });
        } else if (event.type === "message") {
          const m = event.message as Msg;
          const h = handoffsRef.current.find((x) => x.conversation_id === m.conversation_id);
          if (!h) { refreshQueue().catch(() => {}); return; }
          if (m.sender === "customer" && !m.data?.payload) {
            setHandoffs((list) => list.map((x) => x.id === h.id ? { ...x, summary: m.text.length > 140 ? m.text.slice(0, 139) + "…" : m.text } : x));
            if (h.agent_id === me.id && (document.hidden || selectedRef.current !== h.id)) alertAgent(t("inbox.notify_message"));
          }
        }
      },
    });
    const seen = () => { if (!document.hidden) setUnseen(0); };
    document.addEventListener("visibilitychange", seen);
    return () => { window.clearInterval(tick); window.clearInterval(poll); socket.close(); document.removeEventListener("visibilitychange", seen); };
  }, []);

  const desktopRef = useRef(desktop);
  desktopRef.current = desktop;
  function alertAgent(text: string) {
    if (document.hidden) setUnseen((n) => n + 1);
    notify(text, desktopRef.current);
  }
  useEffect(() => {
    document.title = (unseen ? "(" + unseen + ") " + t("inbox.new_messages") + " · " : "") + t("app.nav.inbox") + " · faqbot";
  }, [unseen, locale]);

  const mine = handoffs.filter((h) => h.status === "assigned" && h.agent_id === me.id);
  const groups: [MessageKey, HandoffView[]][] = [
    ["inbox.waiting", handoffs.filter((h) => h.status === "queued")],
    ["inbox.mine", mine],
    ["inbox.tickets", handoffs.filter((h) => h.status === "ticket")],
    ["inbox.others", handoffs.filter((h) => h.status === "assigned" && h.agent_id !== me.id)],
  ];
  const ordered = groups.flatMap(([, items]) => items);

  // keyboard: Alt+J next conversation (the others are in the conversation pane)
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.altKey && (ev.key === "j" || ev.key === "J")) {
        ev.preventDefault();
        const index = ordered.findIndex((h) => h.id === selected);
        const next = ordered[(index + 1) % Math.max(ordered.length, 1)];
        if (next) { setTab("live"); setSelected(next.id); }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [ordered.map((h) => h.id).join(), selected]);

  const setPresence = (presence: string) => call<{ agent: AgentAccount }>("PUT", "/api/agent/me/presence", { presence })
    .then((r) => { onAccountChange(r.agent); refreshQueue(); }).catch(() => {});
  const setAutoAssign = (auto_assign: boolean) => call<{ agent: AgentAccount }>("PATCH", "/api/agent/me", { auto_assign })
    .then((r) => { onAccountChange(r.agent); refreshQueue(); }).catch(() => {});

  const waited = (h: HandoffView) => ((h.first_reply_at ? new Date(h.first_reply_at).getTime() : now) - new Date(h.created_at).getTime()) / 1000;
  // a resolved conversation leaves the open queue but stays on screen until the agent picks another
  const lastView = useRef<HandoffView | null>(null);
  const current = handoffs.find((h) => h.id === selected) || (lastView.current?.id === selected ? lastView.current : null);
  lastView.current = current;

  return (
    <div class={"inbox" + (selected ? " showing-conversation" : "")}>
      <aside class="inbox-queue" aria-label={t("inbox.queue")}>
        <div class="inbox-presence">
          <label class="fb-field inline"><span>{t("inbox.presence")}</span>
            <select id="presence" class="fb-input" value={me.presence === "offline" ? "offline" : String(me.presence || "online")}
                    onChange={(e) => setPresence((e.target as HTMLSelectElement).value)}>
              {["online", "away", "offline"].map((p) => <option value={p}>{t(("inbox.presence." + p) as MessageKey)}</option>)}
            </select>
          </label>
          <label class="check"><input type="checkbox" id="auto-assign" checked={!!me.auto_assign}
                                      onChange={(e) => setAutoAssign((e.target as HTMLInputElement).checked)} /> {t("inbox.auto_assign")}</label>
          <label class="check"><input type="checkbox" id="desktop-notify" checked={desktop} onChange={(e) => {
            const on = (e.target as HTMLInputElement).checked;
            setDesktop(on);
            if (on && "Notification" in window && Notification.permission === "default") Notification.requestPermission();
          }} /> {t("inbox.notifications")}</label>
        </div>
        <div class="inbox-tabs" role="tablist">
          <button role="tab" id="tab-live" aria-selected={tab === "live"} class={tab === "live" ? "active" : ""} onClick={() => setTab("live")}>{t("inbox.tab_live")}</button>
          <button role="tab" id="tab-history" aria-selected={tab === "history"} class={tab === "history" ? "active" : ""} onClick={() => setTab("history")}>{t("inbox.tab_history")}</button>
        </div>
        {tab === "live" ? (
          <div class="inbox-scroll" id="queue">
            {groups.map(([label, items]) => (
              <section>
                <h2>{t(label)} {label === "inbox.waiting" && <span class="count" id="queue-count">({items.length})</span>}</h2>
                {!items.length && <div class="fb-empty">{t("inbox.none")}</div>}
                {items.map((h) => {
                  const breached = h.breached || (!h.first_reply_at && waited(h) > target);
                  return (
                    <button type="button" class={"item" + (h.id === selected ? " active" : "") + (h.offered ? " offered" : "")}
                            data-handoff-id={h.id} aria-current={h.id === selected ? "true" : undefined} onClick={() => setSelected(h.id)}>
                      <span class="line1">
                        <span class="tags">
                          {h.priority === "high" && <Tag tone="danger">{t("inbox.high_priority")}</Tag>}
                          {breached && <Tag tone="strong">{t("inbox.breached")}</Tag>}
                          <Tag tone={h.status === "queued" ? "warn" : h.status === "assigned" ? "ok" : "info"}>{t(("inbox.status." + h.status) as MessageKey)}</Tag>
                          <Tag>{h.reason.replaceAll("_", " ")}</Tag>
                          {h.language && <Tag>{h.language}</Tag>}
                          {h.category && <Tag>{h.category}</Tag>}
                        </span>
                        <span class="wait">{h.agent_name && h.status === "assigned" ? h.agent_name + " · " + duration(waited(h)) : t("inbox.waited", { time: duration(waited(h)) })}</span>
                      </span>
                      <span class="summary">{h.summary || t("inbox.no_message")}</span>
                    </button>
                  );
                })}
              </section>
            ))}
          </div>
        ) : <History auth={auth} onOpen={(id) => setSelected("conversation:" + id)} selected={selected} />}
      </aside>
      {selected?.startsWith("conversation:") ? (
        <Conversation key={selected} conversationId={selected.slice(13)} handoff={null} me={me} auth={auth} team={team} canned={canned}
                      refreshQueue={refreshQueue} refreshCanned={refreshCanned} onBack={() => setSelected(null)} />
      ) : current ? (
        <Conversation key={current.id} conversationId={current.conversation_id} handoff={current} me={me} auth={auth} team={team}
                      canned={canned} refreshQueue={refreshQueue} refreshCanned={refreshCanned} onBack={() => setSelected(null)} />
      ) : (
        <section class="inbox-conversation empty-pane"><p class="fb-empty" id="title">{t("inbox.select")}</p>
          <p class="fb-empty shortcuts">{t("inbox.shortcuts")}</p></section>
      )}
    </div>
  );
}

function annotate(m: Msg, t: ReturnType<typeof useI18n>["t"], lang: string): string {
  const d = m.data || {};
  const parts: string[] = [];
  if (m.sender === "customer" && d.intent) parts.push("intent " + d.intent + (d.confidence != null ? " (" + Number(d.confidence).toFixed(2) + ")" : ""));
  if (m.sender === "bot" && d.outcome) parts.push(d.outcome);
  if (m.sender === "bot" && d.article_id) parts.push("article " + d.article_id + (d.score != null ? " · score " + Number(d.score).toFixed(2) : ""));
  if (m.sender === "bot" && d.helpful != null) parts.push(d.helpful ? t("inbox.helpful") : t("inbox.not_helpful"));
  if (d.rating) parts.push("rating " + d.rating + "/5");
  const f = d.frustration;
  if (m.sender === "customer" && f && f.level !== "low") {
    parts.push("frustration " + f.level + " " + Number(f.score).toFixed(2) + (f.reasons?.length ? " (" + f.reasons.join(", ").replaceAll("_", " ") + ")" : ""));
  }
  parts.push(formatTime(m.created_at, lang));
  return parts.join(" · ");
}

function Conversation({ conversationId, handoff, me, auth, team, canned, refreshQueue, refreshCanned, onBack }: {
  conversationId: string; handoff: HandoffView | null; me: AgentAccount; auth: Auth; team: any[]; canned: any[];
  refreshQueue: () => Promise<void>; refreshCanned: () => void; onBack: () => void;
}) {
  const { t, locale } = useI18n();
  const lang = htmlLang(locale);
  const [messages, setMessages] = useState<Msg[]>([]);
  const [info, setInfo] = useState<ConversationInfo | null>(null);
  const [history, setHistory] = useState<any[]>([]);
  const [detail, setDetail] = useState<HandoffView | null>(handoff);
  const [reply, setReply] = useState("");
  const [noteMode, setNoteMode] = useState(false);
  const [note, setNote] = useState("");
  const [transferTo, setTransferTo] = useState("");
  const [error, setError] = useState("");
  const [typing, setTyping] = useState(false);
  const [suggestions, setSuggestions] = useState<{ question: string | null; articles: any[] }>({ question: null, articles: [] });
  const [confirming, setConfirming] = useState<null | "resolved" | "returned_to_bot">(null);
  const [tagDraft, setTagDraft] = useState("");
  const logRef = useRef<HTMLDivElement>(null);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const lastSeq = useRef(0);
  const lastTypingSent = useRef(0);
  const socketRef = useRef<LiveSocket | null>(null);
  const typingTimer = useRef<number>();
  const h = detail ? { ...handoff, ...detail, offered: handoff?.offered } as HandoffView : handoff;
  const isMine = !!h && h.status === "assigned" && h.agent_id === me.id;
  const call = <T,>(method: string, path: string, body?: unknown) => api<T>(method, path, body, auth);

  function merge(incoming: Msg[]) {
    setMessages((current) => {
      const bySeq = new Map(current.map((m) => [m.seq, m]));
      incoming.forEach((m) => bySeq.set(m.seq, m));
      return Array.from(bySeq.values()).sort((a, b) => a.seq - b.seq);
    });
    for (const m of incoming) {
      lastSeq.current = Math.max(lastSeq.current, m.seq);
      if (m.sender === "customer") setTyping(false);
    }
    if (incoming.some((m) => m.sender === "customer" && !m.data?.payload && !m.data?.event)) loadSuggestions();
  }

  async function load() {
    if (handoff) {
      const d = await call<any>("GET", "/api/agent/handoffs/" + encodeURIComponent(handoff.id));
      setDetail(d.handoff); setHistory(d.history); setInfo(d.conversation); merge(d.transcript);
    } else {
      const d = await call<any>("GET", "/api/agent/conversations/" + encodeURIComponent(conversationId));
      setInfo(d.conversation); setHistory(d.history); merge(d.transcript);
      setDetail(d.handoffs.find((x: HandoffView) => ["queued", "assigned", "ticket"].includes(x.status)) || d.handoffs[d.handoffs.length - 1] || null);
    }
  }

  async function loadSuggestions() {
    if (!handoff) return;
    const data = await call<any>("GET", "/api/agent/handoffs/" + encodeURIComponent(handoff.id) + "/suggestions").catch(() => null);
    if (data) setSuggestions(data);
  }

  useEffect(() => {
    load().catch((err) => setError(err.message));
    loadSuggestions();
    if (!handoff) return;
    const socket = new LiveSocket({
      url: () => wsUrl("/api/agent/handoffs/" + encodeURIComponent(handoff.id) + "/events?token=" + encodeURIComponent((auth as any).token) + "&after=" + lastSeq.current),
      onEvent: (event) => {
        if (event.type === "message") {
          merge([event.message]);
          if (["rating", "handoff_resolved", "customer_left"].includes(event.message.data?.event)) load().catch(() => {});
        }
        if (event.type === "typing" && event.sender === "customer") {
          setTyping(true);
          window.clearTimeout(typingTimer.current);
          typingTimer.current = window.setTimeout(() => setTyping(false), 4000);
        }
      },
    });
    socketRef.current = socket;
    return () => socket.close();
  }, []);

  useEffect(() => { if (handoff) load().catch(() => {}); }, [handoff?.status, handoff?.agent_id, handoff?.rating?.score]);

  // the newest message in view when it arrives
  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages.length, typing]);

  async function act(fn: () => Promise<unknown>) {
    setError("");
    try { await fn(); } catch (err) { setError((err as Error).message); }
  }
  const path = (suffix: string) => "/api/agent/handoffs/" + encodeURIComponent(h!.id) + suffix;
  const claim = () => act(async () => { await call("POST", path("/claim")); await refreshQueue(); await load(); replyRef.current?.focus(); });
  const resolve = (outcome: "resolved" | "returned_to_bot") => act(async () => {
    const result = await call<any>("POST", path("/resolve"), { note: note || null, outcome });
    setNote(""); setConfirming(null); merge(result.messages); setDetail(result.handoff); await refreshQueue();
  });

  async function send() {
    const text = reply.trim();
    if (!text) return;
    if (noteMode) {
      await act(async () => {
        const r = await call<any>("POST", "/api/agent/conversations/" + encodeURIComponent(conversationId) + "/notes", { text });
        merge([r.message]); setReply("");
      });
      return;
    }
    if (!isMine) { setError(t("inbox.claim_first")); return; }
    await act(async () => {
      setReply("");
      try { merge([(await call<any>("POST", path("/messages"), { text })).message]); }
      catch (err) { setReply(text); throw err; }
    });
  }

  function insert(text: string) {
    if (!isMine) { setError(t("inbox.claim_first")); return; }
    setReply((v) => (v ? v.replace(/\s*$/, "\n") + text : text));
    replyRef.current?.focus();
  }

  // keyboard: Ctrl/⌘+Enter send (Enter alone too), Alt+C claim, Alt+R resolve (asks first)
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (!ev.altKey || !h) return;
      if (ev.key === "c" || ev.key === "C") { ev.preventDefault(); if (h.status === "queued" || h.status === "ticket") claim(); }
      if (ev.key === "r" || ev.key === "R") { ev.preventDefault(); if (isMine) setConfirming("resolved"); }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [h?.status, isMine]);

  const saveTags = (tags: string[]) => act(async () => {
    const r = await call<{ tags: string[] }>("PUT", "/api/agent/conversations/" + encodeURIComponent(conversationId) + "/tags", { tags });
    setInfo((i) => i && { ...i, tags: r.tags });
  });

  const visitor = info?.visitor || {};
  const contact = { ...(h?.customer || {}), ...(h?.contact || {}) };
  const slots = h?.details?.slots || {};
  const readOnly = !handoff;
  const others = team.filter((a) => a.id !== me.id && a.presence !== "offline");

  return (
    <>
      <section class="inbox-conversation" aria-labelledby="title">
        <div class="toolbar">
          <button type="button" class="fb-btn quiet back-to-queue" id="back-to-queue" onClick={onBack}>← {t("inbox.search.back")}</button>
          <h1 id="title" class="conv-title">{h ? t(("inbox.status." + h.status) as MessageKey) + " · " + h.reason.replaceAll("_", " ") + (h.agent_name ? " · " + h.agent_name : "") : t("inbox.readonly")}</h1>
          <Button id="claim" disabled={readOnly || !(h && (h.status === "queued" || h.status === "ticket"))} onClick={claim} title="Alt+C">{t("inbox.claim")}</Button>
          <select id="transfer-to" class="fb-input small" aria-label={t("inbox.transfer_to")} disabled={!isMine} value={transferTo}
                  onChange={(e) => setTransferTo((e.target as HTMLSelectElement).value)}>
            <option value="">{t("inbox.transfer_to")}</option>
            {others.map((a) => <option value={a.id}>{a.display_name + " (" + a.presence + ", " + a.load + "/" + a.max_concurrent + ")"}</option>)}
          </select>
          <Button id="transfer" disabled={!isMine} onClick={() => act(async () => {
            if (!transferTo) throw new Error(t("inbox.choose_transfer"));
            await call("POST", path("/transfer"), { agent_id: transferTo }); await refreshQueue(); await load();
          })}>{t("inbox.transfer")}</Button>
          <Button id="requeue" disabled={!isMine} onClick={() => act(async () => { await call("POST", path("/requeue")); await refreshQueue(); await load(); })}>{t("inbox.requeue")}</Button>
          <Button id="return-bot" disabled={!isMine} onClick={() => setConfirming("returned_to_bot")}>{t("inbox.return_bot")}</Button>
          <Button id="resolve" variant="primary" disabled={!isMine} onClick={() => setConfirming("resolved")} title="Alt+R">{t("inbox.resolve")}</Button>
        </div>
        {confirming && (
          <div class="confirm" role="alertdialog" aria-labelledby="confirm-text" id="confirm-resolve">
            <p id="confirm-text">{t("inbox.confirm_resolve")}</p>
            <input id="note" class="fb-input" maxLength={2000} placeholder={t("inbox.resolve_note")} aria-label={t("inbox.resolve_note")}
                   value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
            <Button id="confirm" variant="primary" onClick={() => resolve(confirming)}>{confirming === "resolved" ? t("inbox.confirm") : t("inbox.return_bot")}</Button>
            <Button onClick={() => setConfirming(null)}>{t("common.cancel")}</Button>
          </div>
        )}
        <div class="log" id="transcript" ref={logRef} role="log" aria-live="polite" tabIndex={0}>
          {messages.map((m) => {
            const isNote = !!m.data?.note;
            const who = isNote ? t("inbox.sender.note") + " · " + (m.data.agent || "")
              : m.sender === "agent" ? (m.data?.agent || t("widget.agent")) : t(("inbox.sender." + m.sender) as MessageKey);
            return (
              <div class={"msg " + m.sender + (isNote ? " note" : "") + (m.data?.audience === "agents" ? " agents-only" : "")} data-seq={m.seq}>
                <span class="who">{m.sender === "agent" && !isNote && <Avatar name={m.data?.agent} />}{who}</span>
                {m.sender === "bot" ? <Markdown class="text" text={m.text} /> : <div class="text">{m.text}</div>}
                <span class="meta">{annotate(m, t, lang)}</span>
              </div>
            );
          })}
        </div>
        {typing && <div class="typing" id="typing">{t("inbox.typing")}</div>}
        <div class="fb-error conv-error" id="error" role="alert">{error}</div>
        <div class="assist">
          <div id="suggestions-box">
            <strong>{t("inbox.suggested")}</strong> <span class="muted" id="suggest-for">{suggestions.question ? t("inbox.suggested_for", { question: suggestions.question }) : ""}</span>
            <div id="suggestions">
              {suggestions.articles.map((a) => (
                <div class="suggestion"><Button onClick={() => insert(a.answer)}>{t("inbox.insert")}</Button> <span>{a.title} ({a.id}, {Number(a.score).toFixed(2)})</span></div>
              ))}
            </div>
          </div>
          <div>
            <strong>{t("inbox.canned")}</strong>
            <div class="canned-row">
              <select id="canned" class="fb-input small" aria-label={t("inbox.canned")} value="" onChange={(e) => {
                const r = canned.find((x) => x.id === (e.target as HTMLSelectElement).value);
                if (r) insert(r.text);
              }}>
                <option value="">{t("inbox.insert_canned")}</option>
                {canned.map((r) => <option value={r.id}>{(r.language ? "[" + r.language + "] " : "") + r.title}</option>)}
              </select>
              <Button id="save-canned" onClick={() => act(async () => {
                const text = reply.trim();
                if (!text) throw new Error(t("inbox.write_first"));
                await call("POST", "/api/agent/canned", { title: text.length > 40 ? text.slice(0, 39) + "…" : text, text });
                refreshCanned();
              })}>{t("inbox.save_canned")}</Button>
            </div>
          </div>
        </div>
        <form class={"composer" + (noteMode ? " note-mode" : "")} id="composer" onSubmit={(e) => { e.preventDefault(); send(); }}>
          <label class="check note-toggle"><input type="checkbox" id="note-mode" checked={noteMode}
                 onChange={(e) => setNoteMode((e.target as HTMLInputElement).checked)} /> {t("inbox.note_mode")}</label>
          <textarea id="reply" ref={replyRef} rows={2} maxLength={2000} value={reply} disabled={!isMine && !noteMode}
                    placeholder={noteMode ? t("inbox.note_placeholder") : t("inbox.reply")} aria-label={noteMode ? t("inbox.note_mode") : t("inbox.reply_label")}
                    onInput={(e) => {
                      setReply((e.target as HTMLTextAreaElement).value);
                      const now = Date.now();
                      if (!noteMode && now - lastTypingSent.current > 800 && socketRef.current?.send({ type: "typing" })) lastTypingSent.current = now;
                    }}
                    onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } }} />
          <button type="submit" id="send" class="fb-btn primary" disabled={!isMine && !noteMode} title="Ctrl+Enter">
            {noteMode ? t("inbox.add_note") : t("inbox.send")}</button>
        </form>
      </section>
      <aside class="inbox-context" aria-label={t("inbox.customer")}>
        <h2>{t("inbox.customer")}</h2>
        <dl class="facts" id="customer-info">
          {(visitor.name || contact.name) && <><dt>{t("widget.ticket.name")}</dt><dd>{visitor.name || contact.name}</dd></>}
          {(visitor.email || contact.email) && <><dt>{t("widget.ticket.email")}</dt><dd>{visitor.email || contact.email}</dd></>}
          {contact.phone && <><dt>{t("widget.ticket.phone")}</dt><dd>{contact.phone}</dd></>}
          {visitor.external_id && <><dt>ID</dt><dd>{visitor.external_id} {visitor.verified
            ? <Tag tone="ok">{"✓ " + t("inbox.verified")}</Tag> : <Tag tone="warn">{t("inbox.unverified")}</Tag>}</dd></>}
          {(info?.page_url || h?.page_url) && <><dt>{t("inbox.page")}</dt><dd class="url">{info?.page_url || h?.page_url}</dd></>}
          {slots.order_number && <><dt>{t("inbox.order")}</dt><dd>{slots.order_number}</dd></>}
          {slots.current_topic && <><dt>{t("inbox.topic")}</dt><dd>{slots.current_topic}</dd></>}
          {h?.rating && <><dt>★</dt><dd>{t("inbox.rating", { score: h.rating.score })}{h.rating.comment ? " “" + h.rating.comment + "”" : ""}</dd></>}
          {h?.note && <><dt>{t("inbox.resolve_note")}</dt><dd>{h.note}</dd></>}
        </dl>
        <h2>{t("inbox.tags")}</h2>
        <div class="tag-list" id="tags">
          {(info?.tags || []).map((tag) => (
            <span class="fb-tag chip">{tag} <button type="button" aria-label={t("inbox.remove_tag", { tag })}
              onClick={() => saveTags((info?.tags || []).filter((x) => x !== tag))}>×</button></span>
          ))}
        </div>
        <form class="tag-form" onSubmit={(e) => { e.preventDefault(); if (tagDraft.trim()) { saveTags([...(info?.tags || []), tagDraft.trim()]); setTagDraft(""); } }}>
          <input id="tag-input" class="fb-input small" maxLength={40} placeholder={t("inbox.add_tag")} aria-label={t("inbox.add_tag")}
                 value={tagDraft} onInput={(e) => setTagDraft((e.target as HTMLInputElement).value)} />
          <Button type="submit">+</Button>
        </form>
        <h2>{t("inbox.history")}</h2>
        <ol class="events" id="history">
          {history.map((e) => (
            <li>{formatDateTime(e.at, lang)} {e.kind}{e.agent_name ? " · " + e.agent_name : ""}{e.detail?.how ? " (" + e.detail.how + ")" : ""}{e.detail?.why ? " (" + e.detail.why + ")" : ""}{e.detail?.from_agent_name ? " ← " + e.detail.from_agent_name : ""}</li>
          ))}
        </ol>
      </aside>
    </>
  );
}

