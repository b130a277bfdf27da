// How each article does as the bot's answer over a period; sortable, the worst first.
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import type { Auth } from "../../../shared/api";
import { Field } from "../../../shared/components";
import { navigate } from "../../../shared/router";
import { kbApi, type QualityRow } from "./kbApi";

const COLUMNS = ["answered", "helpful", "not_helpful", "rejections", "handoffs", "picks", "badness"] as const;
type Column = typeof COLUMNS[number];

export function Quality({ auth }: { auth: Auth }) {
  const { t } = useI18n();
  const [days, setDays] = useState(30);
  const [rows, setRows] = useState<QualityRow[] | null>(null);
  const [sort, setSort] = useState<Column>("badness");
  const [error, setError] = useState("");
  useEffect(() => { kbApi.quality(auth, days).then((r) => setRows(r.articles)).catch((e) => setError(e.message)); }, [days]);
  const sorted = [...(rows || [])].sort((a, b) => (b[sort] as number) - (a[sort] as number) || b.answered - a.answered);
  return (
    <div class="kb-quality">
      <h1 id="section-title">{t("app.kb.quality")}</h1>
      <p class="kb-help">{t("app.kb.quality_help")}</p>
      <Field label={t("app.kb.period")}>
        <select class="fb-input kb-period" value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          {[7, 30, 90, 365].map((d) => <option value={String(d)}>{t("app.kb.days", { days: d })}</option>)}
        </select>
      </Field>
      <div class="fb-error" role="alert">{error}</div>
      {rows && !rows.length && <p class="fb-empty">{t("app.kb.quality_none")}</p>}
      {rows && rows.length > 0 && (
        <div class="kb-table-wrap">
          <table class="kb-table" id="kb-quality">
            <thead><tr>
              <th scope="col">{t("app.kb.article")}</th>
              {COLUMNS.map((c) => (
                <th scope="col" aria-sort={sort === c ? "descending" : "none"}>
                  <button type="button" class="kb-sort" onClick={() => setSort(c)}>{t(`app.kb.q.${c}`)}{sort === c ? " ▼" : ""}</button>
                </th>))}
            </tr></thead>
            <tbody>
              {sorted.map((r) => (
                <tr data-article-id={r.article_id}>
                  <th scope="row"><a href={"/app/kb/" + r.article_id}
                         onClick={(e) => { e.preventDefault(); navigate("/app/kb/" + encodeURIComponent(r.article_id)); }}>
                    {r.title || r.article_id}</a></th>
                  {COLUMNS.map((c) => <td>{c === "badness" ? Math.round(r.badness * 100) + "%" : r[c]}</td>)}
                </tr>))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
