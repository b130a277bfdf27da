// Questions to fix: what customers asked that the bot could not answer well, grouped into needs.
// Per cluster: add chosen questions as phrasings of an article, start a draft article from it, or dismiss it.
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import { ApiError } from "../../../shared/api";
import { Button, Field, Tag, formatDateTime } from "../../../shared/components";
import { navigate } from "../../../shared/router";
import type { SectionProps } from "../../types";
import { kbApi, prefillStore, type Cluster } from "../kb/kbApi";
import "../kb/kb.css";

export function Questions({ auth }: SectionProps) {
  const { t } = useI18n();
  const [days, setDays] = useState(30);
  const [clusters, setClusters] = useState<Cluster[] | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const load = () => kbApi.questions(auth, days).then((r) => setClusters(r.clusters)).catch((e) => setError(e.message));
  useEffect(() => { load(); }, [days]);

  return (
    <div class="qs">
      <h1 id="section-title">{t("app.nav.questions")}</h1>
      <p class="kb-help">{t("app.questions.help")}</p>
      <Field label={t("app.kb.period")}>
        <select class="fb-input kb-period" value={String(days)} onChange={(e) => setDays(Number((e.target as HTMLSelectElement).value))}>
          {[7, 30, 90, 365].map((d) => <option value={String(d)}>{t("app.kb.days", { days: d })}</option>)}
        </select>
      </Field>
      <div class="kb-notice" role="status">{notice}</div>
      <div class="fb-error" role="alert">{error}</div>
      {clusters && !clusters.length && <p class="fb-empty" id="qs-none">{t("app.questions.none")}</p>}
      <ul class="qs-clusters" id="qs-clusters">
        {clusters?.map((c) => <ClusterCard key={c.id} cluster={c} auth={auth}
                                            onDone={(msg) => { setNotice(msg); load(); }} onError={setError} />)}
      </ul>
    </div>
  );
}

function ClusterCard({ cluster, auth, onDone, onError }: {
  cluster: Cluster; auth: SectionProps["auth"]; onDone: (message: string) => void; onError: (m: string) => void;
}) {
  const { t, locale } = useI18n();
  const [selected, setSelected] = useState<Set<string>>(new Set(cluster.examples.filter((e) => !e.handled).map((e) => e.text)));
  const [target, setTarget] = useState(cluster.suggested[0]?.article_id || "");
  const keys = cluster.keys;
  const language = cluster.languages.includes("en") ? "en" : cluster.languages[0] || "en";
  const toggle = (text: string) => {
    const next = new Set(selected);
    if (next.has(text)) next.delete(text); else next.add(text);
    setSelected(next);
  };
  const addAsPhrasings = async () => {
    try {
      const article = (await kbApi.get(auth, target)).article;
      await kbApi.addPhrasings(auth, { keys, article_id: target, version: article.version, phrasings: [...selected] });
      onDone(t("app.questions.added", { title: article.title }));
    } catch (err) { onError(err instanceof ApiError ? err.message : String(err)); }
  };
  const createDraft = () => {
    const phrasings = [...selected];
    prefillStore.set({ keys, content: { title: cluster.representative, questions: phrasings.length ? phrasings : [cluster.representative],
                                        answer: "", category: "", language, tags: [], group: null } });
    navigate("/app/kb/~new");
  };
  const dismiss = async () => {
    try { await kbApi.dismiss(auth, keys); onDone(t("app.questions.dismissed")); }
    catch (err) { onError(err instanceof ApiError ? err.message : String(err)); }
  };
  const titleId = "qs-title-" + cluster.id;
  return (
    <li class="qs-cluster fb-card" data-cluster-id={cluster.id} aria-labelledby={titleId}>
      <div class="qs-top">
        <h2 id={titleId}>“{cluster.representative}”</h2>
        <span class="qs-count"><strong>{cluster.count}</strong> {t("app.questions.times")}</span>
      </div>
      <p class="qs-meta">
        {cluster.languages.map((l) => <Tag>{t(`app.kb.lang.${l}` as any)}</Tag>)}
        {Object.entries(cluster.kinds).map(([k, n]) => <Tag tone="warn">{t(`app.questions.kind.${k}` as any)} × {n}</Tag>)}
        <span>{t("app.questions.seen", { first: formatDateTime(cluster.first_seen, locale), last: formatDateTime(cluster.last_seen, locale) })}</span>
      </p>
      <fieldset class="qs-examples"><legend>{t("app.questions.examples")}</legend>
        {cluster.examples.map((e) => (
          <label class="qs-example">
            <input type="checkbox" checked={selected.has(e.text)} onChange={() => toggle(e.text)} />
            <span lang={e.language === "zh" ? "zh" : "en"}>{e.text}</span>
            {e.handled && <Tag tone="ok">{t("app.questions.handled")}</Tag>}
          </label>))}
      </fieldset>
      {cluster.tried.length > 0 && (
        <p class="qs-tried">{t("app.questions.tried")}: {cluster.tried.map((a) => (
          <a href={"/app/kb/" + a.article_id} onClick={(e) => { e.preventDefault(); navigate("/app/kb/" + encodeURIComponent(a.article_id)); }}>
            {a.title || a.article_id}</a>)).reduce((acc: any[], el, i) => (i ? [...acc, ", ", el] : [el]), [])}</p>
      )}
      <div class="qs-actions">
        <Field label={t("app.questions.target")}>
          <select class="fb-input qs-target" value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
            {cluster.suggested.map((s) => <option value={s.article_id}>{s.title} ({s.score?.toFixed(2)})</option>)}
          </select>
        </Field>
        <Button class="qs-add" disabled={!target || !selected.size} onClick={addAsPhrasings}>{t("app.questions.add_phrasings")}</Button>
        <Button variant="primary" class="qs-draft" onClick={createDraft}>{t("app.questions.create_draft")}</Button>
        <Button variant="quiet" class="qs-dismiss" onClick={dismiss}>{t("app.questions.dismiss")}</Button>
      </div>
    </li>
  );
}
