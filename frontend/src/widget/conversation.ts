// The customer's side of a conversation: where it is kept (so it survives navigation and reloads on the shop's
// site), the messages not sent yet (kept across reloads and sent exactly once: each has a client id the service
// de-duplicates on), and the calls to the service.
import { api, type Auth } from "../shared/api";
import type { WidgetUser } from "./protocol";

export interface Message {
  conversation_id: string;
  seq: number;
  sender: "customer" | "bot" | "agent" | "system";
  text: string;
  created_at: string;
  data: Record<string, any>;
}

export interface Handoff {
  id: string;
  status: "queued" | "assigned" | "ticket";
  reason: string;
  agent_name?: string | null;
  queue?: { position: number; waiting: number; eta_seconds: number | null; agents_online: number };
  agents_available?: boolean;
}

export interface Status { mode: "bot" | "human"; handoff: Handoff | null }

export interface Session { conversation_id: string; token: string }

export interface Outgoing {
  client_id: string;
  text: string;
  payload?: string;
  reply_to?: number;
  created_at: string;
}

const SESSION_KEY = "faqbot.conversation";
const OUTBOX_KEY = "faqbot.outbox";

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch (err) {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value == null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value));
  } catch (err) { /* storage may be blocked: the conversation then lasts as long as the page */ }
}

export const storage = {
  session: (): Session | null => read<Session | null>(SESSION_KEY, null),
  saveSession: (session: Session | null) => write(SESSION_KEY, session),
  outbox: (): Outgoing[] => read<Outgoing[]>(OUTBOX_KEY, []),
  saveOutbox: (items: Outgoing[]) => write(OUTBOX_KEY, items.length ? items : null),
};

export function newClientId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function auth(session: Session): Auth {
  return { kind: "bearer", token: session.token };
}

function userBody(user: WidgetUser | null) {
  if (!user) return undefined;
  return { name: user.name || null, email: user.email || null, external_id: user.externalId || null,
           signature: user.signature || null };
}

const base = (session: Session) => "/api/conversations/" + encodeURIComponent(session.conversation_id);

export const service = {
  start: (pageUrl: string, language: string, user: WidgetUser | null) =>
    api<Session & Status>("POST", "/api/conversations", { page_url: pageUrl.slice(0, 2000), language, user: userBody(user) }),
  status: (session: Session) => api<Status & { last_seq: number }>("GET", base(session), undefined, auth(session)),
  send: (session: Session, item: Outgoing) =>
    api<Status & { messages: Message[] }>("POST", base(session) + "/messages",
      { text: item.text, payload: item.payload ?? null, reply_to: item.reply_to ?? null, client_id: item.client_id },
      auth(session)),
  ticket: (session: Session, body: Record<string, string | null>) =>
    api<Status & { messages: Message[] }>("POST", base(session) + "/ticket", body, auth(session)),
  rate: (session: Session, score: number, comment: string | null) =>
    api<{ messages: Message[] }>("POST", base(session) + "/rating", { score, comment }, auth(session)),
  leave: (session: Session) => api("POST", base(session) + "/leave", undefined, auth(session)),
  setUser: (session: Session, user: WidgetUser) => api("PUT", base(session) + "/user", userBody(user), auth(session)),
  topics: (locale: string) => api<{ topics: Topic[] }>("GET", "/api/widget/topics?locale=" + encodeURIComponent(locale)),
  eventsPath: (session: Session, after: number) =>
    base(session) + "/events?token=" + encodeURIComponent(session.token) + "&after=" + after,
};

export interface Topic { category: string; articles: { id: string; title: string }[] }
