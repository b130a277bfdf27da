// The supervisor's dashboard: a period (and optionally a language or category), the figures with their targets,
// the daily trend, and the tables per agent and per category — each table exportable as CSV.
import { useEffect, useState } from "preact/hooks";
import { useI18n, type MessageKey, type T } from "../../../i18n";
import { api, ApiError } from "../../../shared/api";
import { Button, Field, Tag } from "../../../shared/components";
import type { SectionProps } from "../../types";
import { download, formatValue, fromApi, toApi, toCsv, type Unit } from "./format";
import { TrendChart } from "./TrendChart";
import "./analytics.css";

export interface Figure { key: string; value: number | null; unit: Unit; basis: number; target: number | null; warning: number | null; status: "ok" | "warning" | "alert" | null }
interface Day { day: string; conversations: number; automated_rate: number | null; handoff_rate: number | null; helpful_share: number | null; csat_average: number | null; first_reply_p50: number | null; sla_breach_rate: number | null }
interface AgentRow { agent_id: string; name: string; handled: number; first_reply_p50: number | null; resolution_p50: number | null; csat_average: number | null; ratings: number }
interface CategoryRow { category: string; conversations: number; automated_rate: number | null; handoff_rate: number | null; helpful_share: number | null; csat_average: number | null }
export interface Report {
  start: string; end: string; language: string | null; category: string | null; first_reply_target_seconds: number;
  figures: Figure[]; handoff_reasons: { reason: string; handoffs: number; rate: number | null }[];
  outcomes: Record<string, number>; daily: Day[]; agents: AgentRow[]; categories: CategoryRow[];
  languages: string[]; known_categories: string[];
}

const HEADLINE = ["conversations", "automated_rate", "handoff_rate", "helpful_share", "csat_average", "csat_response_rate",
  "first_reply_p50", "first_reply_p90", "wait_p50", "wait_p90", "resolution_p50", "resolution_p90", "sla_breach_rate",
  "offline_tickets", "abandoned_waits"];
const TRENDS: { key: keyof Day; unit: Unit }[] = [
  { key: "conversations", unit: "count" }, { key: "automated_rate", unit: "ratio" }, { key: "handoff_rate", unit: "ratio" },
  { key: "helpful_share", unit: "ratio" }, { key: "csat_average", unit: "score" }, { key: "first_reply_p50", unit: "seconds" },
  { key: "sla_breach_rate", unit: "ratio" },
];
const OUTCOMES = ["answers", "clarify", "unsure", "rephrase", "rejected", "errors"];
const ANY = "*";
const HIGHER_IS_BETTER = ["conversations", "automated_rate", "helpful_share", "csat_average", "csat_response_rate"];

function isoDay(d: Date): string { return d.toISOString().slice(0, 10); }
function daysBefore(end: string, days: number): string {
  const d = new Date(end + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() - days);
  return isoDay(d);
}
function figureLabel(t: T, key: string): string { return t(("app.analytics.fig." + key) as MessageKey); }

function readQuery(): { start: string; end: string; language: string; category: string } {
  const q = new URLSearchParams(location.search);
  const end = q.get("end") || isoDay(new Date());
  return { end, start: q.get("start") || daysBefore(end, 6), language: q.get("language") || ANY, category: q.get("category") ?? ANY };
}

export function Analytics({ auth, onSignedOut }: SectionProps) {
  const { t, locale } = useI18n();
  const [filters, setFilters] = useState(readQuery);
  const [draft, setDraft] = useState(filters);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);

  async function load(f = filters) {
    const params = new URLSearchParams({ start: f.start, end: f.end });
    if (f.language !== ANY) params.set("language", f.language);
    if (f.category !== ANY) params.set("category", f.category);
    setLoading(true);
    try {
      setReport(await api<Report>("GET", "/api/analytics?" + params.toString(), undefined, auth));
      setError(null);
      history.replaceState(null, "", location.pathname + "?" + params.toString());
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return onSignedOut();
      setError(err instanceof ApiError && err.status === 422 ? err.message : t("common.error"));
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => { load(filters); }, [filters]);

  function apply(e: Event) {
    e.preventDefault();
    setFilters({ ...draft });
  }
  function preset(days: number) {
    const end = isoDay(new Date());
    const next = { ...draft, start: daysBefore(end, days - 1), end };
    setDraft(next);
    setFilters(next);
  }

  const figures = new Map((report?.figures || []).map((f) => [f.key, f]));
  const name = (suffix: string) => `analytics-${suffix}-${filters.start}_${filters.end}.csv`;

  return (
    <section class="an" aria-labelledby="section-title" aria-busy={loading}>
      <header class="an-head">
        <h1 id="section-title">{t("app.nav.analytics")}</h1>
        <form class="an-filters" onSubmit={apply} aria-label={t("app.analytics.filters")}>
          <Field label={t("app.analytics.start")}>
            <input class="fb-input" type="date" name="start" value={draft.start} required
                   onInput={(e) => setDraft({ ...draft, start: (e.target as HTMLInputElement).value })} />
          </Field>
          <Field label={t("app.analytics.end")}>
            <input class="fb-input" type="date" name="end" value={draft.end} required
                   onInput={(e) => setDraft({ ...draft, end: (e.target as HTMLInputElement).value })} />
          </Field>
          <Field label={t("app.analytics.language")}>
            <select class="fb-input" name="language" value={draft.language}
                    onChange={(e) => setDraft({ ...draft, language: (e.target as HTMLSelectElement).value })}>
              <option value={ANY}>{t("app.analytics.all")}</option>
              {(report?.languages || ["en", "zh"]).map((l) => <option key={l} value={l}>{t(("app.analytics.lang." + l) as MessageKey)}</option>)}
            </select>
          </Field>
          <Field label={t("app.analytics.category")}>
            <select class="fb-input" name="category" value={draft.category}
                    onChange={(e) => setDraft({ ...draft, category: (e.target as HTMLSelectElement).value })}>
              <option value={ANY}>{t("app.analytics.all")}</option>
              <option value="">{t("app.analytics.uncategorised")}</option>
              {(report?.known_categories || []).map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </Field>
          <div class="an-actions">
            <Button type="submit" variant="primary">{t("app.analytics.apply")}</Button>
            <Button onClick={() => preset(7)}>{t("app.analytics.days", { days: 7 })}</Button>
            <Button onClick={() => preset(30)}>{t("app.analytics.days", { days: 30 })}</Button>
            <Button onClick={() => preset(90)}>{t("app.analytics.days", { days: 90 })}</Button>
          </div>
        </form>
        {error && <p class="fb-error" role="alert">{error}</p>}
        <p class="an-note">{t("app.analytics.cohort")}</p>
      </header>

      {report && (
        <>
          <h2 class="an-h2">{t("app.analytics.figures")}</h2>
          <ul class="an-cards" aria-label={t("app.analytics.figures")}>
            {HEADLINE.map((key) => figures.get(key)).filter((f): f is Figure => !!f).map((f) => (
              <li key={f.key} class={"an-card fb-card " + (f.status || "")} data-figure={f.key}
                  aria-describedby={f.key === "automated_rate" ? "def-automated" : f.key === "sla_breach_rate" ? "def-sla" : undefined}>
                <span class="an-label">{figureLabel(t, f.key)}</span>
                <span class="an-value">{formatValue(f.value, f.unit, t)}</span>
                <span class="an-basis">{t(basisKey(f.key), { count: f.basis })}</span>
                {f.status && <Tag tone={f.status === "ok" ? "ok" : f.status === "warning" ? "warn" : "danger"}>{t(("app.analytics.status." + f.status) as MessageKey)}</Tag>}
                {f.target !== null && <span class="an-basis">{t("app.analytics.target")}: {formatValue(f.target, f.unit, t)} · {t("app.analytics.warning")}: {formatValue(f.warning, f.unit, t)}</span>}
                <Button variant="quiet" class="an-edit" aria-expanded={editing === f.key}
                        aria-label={t("app.analytics.set_target_for", { figure: figureLabel(t, f.key) })}
                        onClick={() => setEditing(editing === f.key ? null : f.key)}>{t("app.analytics.set_target")}</Button>
                {editing === f.key && <TargetForm figure={f} auth={auth} onDone={() => { setEditing(null); load(); }} />}
              </li>
            ))}
          </ul>

          <div class="an-defbox">
            <p id="def-automated" class="an-def">{t("app.analytics.def.automated")}</p>
            <p id="def-sla" class="an-def">{t("app.analytics.def.sla", { target: formatValue(report.first_reply_target_seconds, "seconds", t) })}</p>
          </div>
          <details class="an-defs">
            <summary>{t("app.analytics.definitions")}</summary>
            <ul>
              {["automated", "handoff", "helpful", "csat", "times", "sla", "tickets", "percentiles"].map((k) => (
                <li key={k}>{t(("app.analytics.def." + k) as MessageKey, { target: formatValue(report.first_reply_target_seconds, "seconds", t) })}</li>
              ))}
            </ul>
          </details>

          <h2 class="an-h2">{t("app.analytics.trend")}</h2>
          <div class="an-charts">
            {TRENDS.map(({ key, unit }) => {
              const f = figures.get(key === "first_reply_p50" ? "first_reply_p50" : key);
              return <TrendChart key={key} title={figureLabel(t, key)} unit={unit}
                                 series={report.daily.map((d) => ({ day: d.day, value: d[key] as number | null }))}
                                 target={f?.target} warning={f?.warning} />;
            })}
          </div>

          <div class="an-tables">
            <Table id="reasons" title={t("app.analytics.reasons")} csv={name("handoff-reasons")}
                   header={[t("app.analytics.col.reason"), t("app.analytics.col.handoffs"), t("app.analytics.col.rate")]}
                   rows={report.handoff_reasons.map((r) => [t(("app.analytics.reason." + r.reason) as MessageKey), r.handoffs, r.rate])}
                   units={["text", "count", "ratio"]} />
            <Table id="outcomes" title={t("app.analytics.outcomes")} csv={name("answer-outcomes")}
                   header={[t("app.analytics.col.outcome"), t("app.analytics.col.count")]}
                   rows={OUTCOMES.map((o) => [t(("app.analytics.outcome." + o) as MessageKey), report.outcomes[o] ?? 0])}
                   units={["text", "count"]} />
          </div>
          <Table id="agents" title={t("app.analytics.agents")} csv={name("agents")} empty={t("app.analytics.no_agents")}
                 header={[t("app.analytics.col.agent"), t("app.analytics.col.handled"), t("app.analytics.fig.first_reply_p50"),
                          t("app.analytics.fig.resolution_p50"), t("app.analytics.fig.csat_average"), t("app.analytics.col.ratings")]}
                 rows={report.agents.map((a) => [a.name, a.handled, a.first_reply_p50, a.resolution_p50, a.csat_average, a.ratings])}
                 units={["text", "count", "seconds", "seconds", "score", "count"]} />
          <Table id="categories" title={t("app.analytics.categories")} csv={name("categories")} empty={t("app.analytics.nothing")}
                 header={[t("app.analytics.col.category"), t("app.analytics.fig.conversations"), t("app.analytics.fig.automated_rate"),
                          t("app.analytics.fig.handoff_rate"), t("app.analytics.fig.helpful_share"), t("app.analytics.fig.csat_average")]}
                 rows={report.categories.map((c) => [c.category || t("app.analytics.uncategorised"), c.conversations, c.automated_rate,
                                                     c.handoff_rate, c.helpful_share, c.csat_average])}
                 units={["text", "count", "ratio", "ratio", "ratio", "score"]} />
          <Table id="daily" title={t("app.analytics.daily")} csv={name("daily")}
                 header={[t("app.analytics.col.day"), ...TRENDS.map(({ key }) => figureLabel(t, key))]}
                 rows={report.daily.map((d) => [d.day, ...TRENDS.map(({ key }) => d[key] as number | null)])}
                 units={["text", ...TRENDS.map(({ unit }) => unit)]} />
          <p class="an-note" lang={locale === "en" ? "en" : undefined}>{t("app.analytics.utc")}</p>
        </>
      )}
      {!report && !error && <p class="fb-empty">{t("common.loading")}</p>}
    </section>
  );
}

function basisKey(key: string): MessageKey {
  if (key === "helpful_share") return "app.analytics.basis.rated";
  if (key === "csat_average") return "app.analytics.basis.ratings";
  if (key === "csat_response_rate" || key.startsWith("resolution")) return "app.analytics.basis.resolved";
  if (key.startsWith("first_reply") || key.startsWith("wait") || key === "sla_breach_rate") return "app.analytics.basis.live";
  if (key === "offline_tickets" || key === "abandoned_waits") return "app.analytics.basis.handoffs";
  return "app.analytics.basis.conversations";
}

type Cell = string | number | null;

function Table({ id, title, header, rows, units, csv, empty }: {
  id: string; title: string; header: string[]; rows: Cell[][]; units: (Unit | "text")[]; csv: string; empty?: string;
}) {
  const { t } = useI18n();
  const show = (v: Cell, unit: Unit | "text") => (unit === "text" ? String(v ?? "") : formatValue(v as number | null, unit, t));
  return (
    <section class="an-table fb-card" aria-labelledby={"an-" + id}>
      <div class="an-table-head">
        <h2 id={"an-" + id} class="an-h2">{title}</h2>
        <Button onClick={() => download(csv, toCsv(header, rows))} aria-label={t("app.analytics.export_named", { table: title })}
                data-export={id}>{t("app.analytics.export")}</Button>
      </div>
      {rows.length === 0 ? <p class="fb-empty">{empty || t("app.analytics.nothing")}</p> : (
        <div class="an-scroll" tabIndex={0} role="region" aria-label={title}>
          <table data-table={id}>
            <thead><tr>{header.map((h, i) => <th key={i} scope="col" class={units[i] === "text" ? "" : "num"}>{h}</th>)}</tr></thead>
            <tbody>
              {rows.map((row, r) => (
                <tr key={r}>{row.map((v, i) => i === 0
                  ? <th key={i} scope="row">{show(v, units[i])}</th>
                  : <td key={i} class="num">{show(v, units[i])}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function TargetForm({ figure, auth, onDone }: { figure: Figure; auth: SectionProps["auth"]; onDone: () => void }) {
  const { t } = useI18n();
  const [target, setTarget] = useState(figure.target === null ? "" : String(fromApi(figure.target, figure.unit)));
  const [warning, setWarning] = useState(figure.warning === null ? "" : String(fromApi(figure.warning, figure.unit)));
  const [error, setError] = useState<string | null>(null);
  const unit = t(("app.analytics.unit." + figure.unit) as MessageKey);
  async function save(e: Event) {
    e.preventDefault();
    try {
      await api("PUT", "/api/analytics/targets/" + figure.key,
                { target: toApi(Number(target), figure.unit), warning: toApi(Number(warning), figure.unit) }, auth);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t("common.error"));
    }
  }
  async function clear() {
    await api("DELETE", "/api/analytics/targets/" + figure.key, undefined, auth).catch(() => undefined);
    onDone();
  }
  return (
    <form class="an-target-form" onSubmit={save}>
      <Field label={`${t("app.analytics.target")} (${unit})`}>
        <input class="fb-input" type="number" step="any" required name="target" value={target}
               onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
      </Field>
      <Field label={`${t("app.analytics.warning")} (${unit})`}>
        <input class="fb-input" type="number" step="any" required name="warning" value={warning}
               onInput={(e) => setWarning((e.target as HTMLInputElement).value)} />
      </Field>
      <p class="an-basis">{t(HIGHER_IS_BETTER.includes(figure.key) ? "app.analytics.higher_better" : "app.analytics.lower_better")}</p>
      {error && <p class="fb-error" role="alert">{error}</p>}
      <div class="an-actions">
        <Button type="submit" variant="primary">{t("common.save")}</Button>
        {figure.target !== null && <Button onClick={clear}>{t("app.analytics.clear_target")}</Button>}
      </div>
    </form>
  );
}
