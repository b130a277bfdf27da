// Articles with filters (language, category, status, tag) and a ranked search that works for Chinese.
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import type { Auth } from "../../../shared/api";
import { Button, Field, Tag } from "../../../shared/components";
import { navigate } from "../../../shared/router";
import { kbApi, type ArticleList as ListData } from "./kbApi";

export function ArticleList({ auth }: { auth: Auth }) {
  const { t } = useI18n();
  const [q, setQ] = useState("");
  const [language, setLanguage] = useState("");
  const [category, setCategory] = useState("");
  const [status, setStatus] = useState("");
  const [tag, setTag] = useState("");
  const [data, setData] = useState<ListData | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    const timer = setTimeout(() => {
      kbApi.list(auth, { q, language, category, status, tag }).then(setData).catch((e) => setError(e.message));
    }, 150);
    return () => clearTimeout(timer);
  }, [q, language, category, status, tag]);

  const select = (label: string, id: string, value: string, set: (v: string) => void, options: [string, string][]) => (
    <Field label={label}>
      <select class="fb-input" id={id} value={value} onChange={(e) => set((e.target as HTMLSelectElement).value)}>
        <option value="">{t("app.kb.any")}</option>
        {options.map(([v, l]) => <option value={v}>{l}</option>)}
      </select>
    </Field>
  );

  return (
    <div class="kb-list">
      <div class="kb-head">
        <h1 id="section-title">{t("app.nav.kb")}</h1>
        <Button variant="primary" id="kb-new" onClick={() => navigate("/app/kb/~new")}>{t("app.kb.new")}</Button>
      </div>
      <form class="kb-filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t("app.kb.search")}>
          <input class="fb-input" id="kb-search" type="search" value={q} placeholder={t("app.kb.search_hint")}
                 onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
        {select(t("app.kb.language"), "kb-filter-language", language, setLanguage,
                (data?.languages || ["en", "zh"]).map((l) => [l, t(`app.kb.lang.${l}` as any)]))}
        {select(t("app.kb.category"), "kb-filter-category", category, setCategory, (data?.categories || []).map((c) => [c, c]))}
        {select(t("app.kb.status"), "kb-filter-status", status, setStatus,
                (["draft", "published", "archived"] as const).map((s) => [s, t(`app.kb.status.${s}`)]))}
        {select(t("app.kb.tags"), "kb-filter-tag", tag, setTag, (data?.tags || []).map((c) => [c, c]))}
      </form>
      <div class="fb-error" role="alert">{error}</div>
      {data && <p class="kb-count" aria-live="polite">{t("app.kb.count", { count: data.articles.length })}</p>}
      <ul class="kb-rows" id="kb-results">
        {data?.articles.map((a) => (
          <li class="kb-row fb-card" data-article-id={a.id}>
            <a href={"/app/kb/" + encodeURIComponent(a.id)} class="kb-row-title"
               onClick={(e) => { e.preventDefault(); navigate("/app/kb/" + encodeURIComponent(a.id)); }}>{a.title}</a>
            <span class="kb-row-meta">
              <code>{a.id}</code>
              <Tag>{t(`app.kb.lang.${a.language}` as any)}</Tag>
              <Tag>{a.category}</Tag>
              <Tag tone={a.status === "published" ? "ok" : a.status === "draft" ? "info" : undefined}>{t(`app.kb.status.${a.status}`)}</Tag>
              {a.tags.map((x) => <Tag>#{x}</Tag>)}
              {(a.missing_languages || []).map((l) => (
                <Tag tone="warn">{t("app.kb.missing", { language: t(`app.kb.lang.${l}` as any) })}</Tag>))}
              {a.score != null && <span class="kb-score">{t("app.kb.match", { score: a.score.toFixed(2) })}</span>}
            </span>
          </li>
        ))}
      </ul>
      {data && !data.articles.length && <p class="fb-empty">{t("app.kb.none")}</p>}
    </div>
  );
}
