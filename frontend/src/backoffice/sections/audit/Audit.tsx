// The Audit section (admins): who changed what and when — accounts, roles, canned replies, the knowledge base.
// Filter by person, kind of change and days; newest first, a page at a time.
import { useEffect, useState } from "preact/hooks";
import { useI18n, type MessageKey } from "../../../i18n";
import { api, ApiError } from "../../../shared/api";
import { Button, Field, formatDateTime, Tag } from "../../../shared/components";
import type { SectionProps } from "../../types";
import "../team/team.css";

interface Entry { id: string; at: string; actor_id: string | null; actor_name: string; action: string; target_type: string;
  target_id: string; target_name: string | null; details: Record<string, any> }
interface Filters { actor: string; action: string; since: string; until: string }
const PAGE = 25;
const EMPTY: Filters = { actor: "", action: "", since: "", until: "" };

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** The details as readable lines: "roles: agent → agent, editor". */
function detailLines(details: Record<string, any>): string[] {
  return Object.entries(details).map(([key, value]) =>
    value && typeof value === "object" && !Array.isArray(value) && "from" in value && "to" in value
      ? `${key}: ${show(value.from)} → ${show(value.to)}` : `${key}: ${show(value)}`);
}

export function Audit({ auth, onSignedOut }: SectionProps) {
  const { t, locale } = useI18n();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [choices, setChoices] = useState<{ actions: { action: string; label: string }[]; actors: { id: string | null; name: string }[] }>({ actions: [], actors: [] });
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);
  const call = <T,>(path: string) => api<T>("GET", path, undefined, auth).catch((err) => {
    if (err instanceof ApiError && err.status === 401) onSignedOut();
    throw err;
  });

  useEffect(() => { call<typeof choices>("/api/audit/filters").then(setChoices).catch(() => {}); }, []);
  useEffect(() => {
    const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
    setLoading(true);
    setError("");
    call<{ entries: Entry[]; total: number }>("/api/audit?" + query)
      .then((r) => { setEntries(r.entries); setTotal(r.total); })
      .catch((e) => setError(e.message))
      .finally(() => setLoading(false));
  }, [filters, offset]);

  const actionLabel = (action: string) => {
    const key = ("app.audit.action." + action) as MessageKey;
    const text = t(key);
    return text === key ? action : text;
  };
  const set = (name: keyof Filters) => (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value });

  return (
    <section class="team" aria-labelledby="section-title">
      <div class="team-head"><h1 id="section-title">{t("app.nav.audit")}</h1></div>
      <p class="muted">{t("app.audit.help")}</p>
      <form class="audit-filters" id="audit-filters" onSubmit={(e) => { e.preventDefault(); setOffset(0); setFilters(draft); }}>
        <Field label={t("app.audit.who")}>
          <select class="fb-input" id="audit-actor" value={draft.actor} onChange={set("actor")}>
            <option value="">{t("app.audit.anyone")}</option>
            {choices.actors.filter((a) => a.id).map((a) => <option value={a.id!}>{a.name}</option>)}
          </select></Field>
        <Field label={t("app.audit.what")}>
          <select class="fb-input" id="audit-action" value={draft.action} onChange={set("action")}>
            <option value="">{t("app.audit.any_change")}</option>
            <option value="account.">{t("app.audit.group.account")}</option>
            <option value="kb.">{t("app.audit.group.kb")}</option>
            <option value="canned.">{t("app.audit.group.canned")}</option>
            {choices.actions.map((a) => <option value={a.action}>{actionLabel(a.action)}</option>)}
          </select></Field>
        <Field label={t("app.audit.since")}><input class="fb-input" id="audit-since" type="date" value={draft.since} onInput={set("since")} /></Field>
        <Field label={t("app.audit.until")}><input class="fb-input" id="audit-until" type="date" value={draft.until} onInput={set("until")} /></Field>
        <div class="row">
          <Button variant="primary" type="submit">{t("app.audit.apply")}</Button>
          <Button variant="quiet" onClick={() => { setDraft(EMPTY); setOffset(0); setFilters(EMPTY); }}>{t("app.audit.clear")}</Button>
        </div>
      </form>
      {error && <div class="fb-error" role="alert">{error}</div>}
      {!loading && !entries.length && !error ? <p class="fb-empty" id="audit-empty">{t("app.audit.none")}</p> : (
        <table class="team-table" id="audit-table" aria-busy={loading}>
          <thead><tr><th scope="col">{t("app.audit.when")}</th><th scope="col">{t("app.audit.who")}</th>
            <th scope="col">{t("app.audit.what")}</th><th scope="col">{t("app.audit.target")}</th><th scope="col">{t("app.audit.details")}</th></tr></thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-action={e.action}>
                <td data-label={t("app.audit.when")}><time dateTime={e.at}>{formatDateTime(e.at, locale)}</time></td>
                <td data-label={t("app.audit.who")}>{e.actor_name}</td>
                <td data-label={t("app.audit.what")}><Tag tone={e.action.endsWith("deactivate") ? "danger" : e.action.startsWith("kb.") ? "info" : undefined}>{actionLabel(e.action)}</Tag></td>
                <td data-label={t("app.audit.target")}>{e.target_name || e.target_id} <span class="muted small">{t(("app.audit.type." + e.target_type) as MessageKey)}</span></td>
                <td data-label={t("app.audit.details")}><ul class="audit-details">{detailLines(e.details).map((line) => <li>{line}</li>)}</ul></td>
              </tr>
            ))}
          </tbody>
        </table>)}
      <div class="audit-pager">
        <span class="muted" id="audit-range">{total ? t("app.audit.range", { from: offset + 1, to: Math.min(offset + PAGE, total), total }) : ""}</span>
        <div class="row">
          <Button id="audit-prev" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>{t("app.audit.newer")}</Button>
          <Button id="audit-next" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>{t("app.audit.older")}</Button>
        </div>
      </div>
    </section>
  );
}
