// The knowledge-base editor's calls to /api/kb and the shapes they return.
import { api, type Auth } from "../../../shared/api";

export type Status = "draft" | "published" | "archived";

export interface ArticleContent {
  title: string;
  questions: string[];
  answer: string;
  category: string;
  language: string;
  tags: string[];
  group: string | null;
}

export interface Article extends ArticleContent {
  id: string;
  status: Status;
  version: number;
  author: string | null;
  updated_at: string | null;
  score?: number | null;
  translations?: { id: string; language: string; title: string; status: Status; version: number }[];
  missing_languages?: string[];
}

export interface ArticleList {
  articles: Article[];
  categories: string[];
  languages: string[];
  tags: string[];
}

export interface Collision { phrasing: string; article_id: string; title: string; score: number; own_score: number }

export interface Hit { article_id: string; title: string; language: string; status: string; score: number; dense: number; lexical: number }
export interface Outcome { outcome: "answer" | "clarify" | "unsure"; language: string; confidence: number | null; hits: Hit[] }
export interface TryResult { published: Outcome; with_draft: Outcome | null; took_ms: number }

export interface Version { version: number; author: string | null; saved_at: string; status: Status; title: string }

export const CONTENT_FIELDS = ["title", "questions", "answer", "category", "language", "tags", "group"] as const;
export type ContentField = typeof CONTENT_FIELDS[number];

export function contentOf(a: ArticleContent): ArticleContent {
  return { title: a.title, questions: [...a.questions], answer: a.answer, category: a.category, language: a.language,
           tags: [...a.tags], group: a.group };
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export const kbApi = {
  list: (auth: Auth, params: Record<string, string | string[]>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      for (const item of Array.isArray(v) ? v : [v]) if (item) q.append(k, item);
    }
    return api<ArticleList>("GET", "/api/kb/articles?" + q.toString(), undefined, auth);
  },
  get: (auth: Auth, id: string) => api<{ article: Article }>("GET", `/api/kb/articles/${encodeURIComponent(id)}`, undefined, auth),
  create: (auth: Auth, body: ArticleContent & { id: string }) =>
    api<{ article: Article; collisions: Collision[] }>("POST", "/api/kb/articles", body, auth),
  update: (auth: Auth, id: string, body: ArticleContent & { version: number }) =>
    api<{ article: Article; collisions: Collision[] }>("PUT", `/api/kb/articles/${encodeURIComponent(id)}`, body, auth),
  setStatus: (auth: Auth, id: string, action: "publish" | "unpublish" | "archive", version: number) =>
    api<{ article: Article }>("POST", `/api/kb/articles/${encodeURIComponent(id)}/${action}`, { version }, auth),
  versions: (auth: Auth, id: string) => api<{ versions: Version[] }>("GET", `/api/kb/articles/${encodeURIComponent(id)}/versions`, undefined, auth),
  version: (auth: Auth, id: string, v: number) => api<{ article: Article }>("GET", `/api/kb/articles/${encodeURIComponent(id)}/versions/${v}`, undefined, auth),
  diff: (auth: Auth, id: string, from: number, to: number) =>
    api<{ changes: Record<string, string> }>("GET", `/api/kb/articles/${encodeURIComponent(id)}/diff?from=${from}&to=${to}`, undefined, auth),
  restore: (auth: Auth, id: string, v: number, version: number) =>
    api<{ article: Article }>("POST", `/api/kb/articles/${encodeURIComponent(id)}/versions/${v}/restore`, { version }, auth),
  tryIt: (auth: Auth, question: string, draft: (ArticleContent & { id: string }) | null) =>
    api<TryResult>("POST", "/api/kb/try", { question, draft }, auth),
  quality: (auth: Auth, days: number) => api<{ articles: QualityRow[] }>("GET", `/api/kb/quality?days=${days}`, undefined, auth),
  questions: (auth: Auth, days: number) => api<{ clusters: Cluster[]; failed_questions: number }>("GET", `/api/kb/questions?days=${days}`, undefined, auth),
  dismiss: (auth: Auth, keys: QuestionKey[]) => api<{ handled: number }>("POST", "/api/kb/questions/dismiss", { keys }, auth),
  addPhrasings: (auth: Auth, body: { keys: QuestionKey[]; article_id: string; version: number; phrasings: string[] }) =>
    api<{ handled: number; article: Article; collisions: Collision[] }>("POST", "/api/kb/questions/add-phrasings", body, auth),
  draftFromCluster: (auth: Auth, keys: QuestionKey[], article: ArticleContent & { id: string }) =>
    api<{ handled: number; article: Article; collisions: Collision[] }>("POST", "/api/kb/questions/draft", { keys, article }, auth),
};

export interface QualityRow {
  article_id: string; title: string | null; language: string | null; category: string | null;
  answered: number; helpful: number; not_helpful: number; rejections: number; handoffs: number; picks: number;
  helpful_share: number | null; badness: number;
}

export interface QuestionKey { conversation_id: string; seq: number }
export interface Cluster {
  id: string; count: number; open: number; representative: string; languages: string[];
  first_seen: string; last_seen: string; kinds: Record<string, number>;
  examples: (QuestionKey & { text: string; language: string | null; asked_at: string; handled: boolean })[];
  keys: QuestionKey[];
  tried: { article_id: string; title: string | null; times: number | null }[];
  suggested: { article_id: string; title: string | null; score: number | null }[];
}

// a draft started from "Questions to fix": the editor opens it prefilled, and saving it marks the cluster handled
export interface Prefill { content: ArticleContent; keys: QuestionKey[] }
const PREFILL_KEY = "faqbot.kbPrefill";
export const prefillStore = {
  set: (p: Prefill) => sessionStorage.setItem(PREFILL_KEY, JSON.stringify(p)),
  take: (): Prefill | null => {
    const raw = sessionStorage.getItem(PREFILL_KEY);
    sessionStorage.removeItem(PREFILL_KEY);
    try { return raw ? JSON.parse(raw) : null; } catch { return null; }
  },
};

export function slugify(text: string, language: string): string {
  const ascii = text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  const base = ascii || "topic-" + Date.now().toString(36);
  return `${base}-${language}`;
}
