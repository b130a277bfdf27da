// "Try it": what the bot would do with a question — against what is published, and with this draft published too.
import { useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import { ApiError, type Auth } from "../../../shared/api";
import { Button, Tag } from "../../../shared/components";
import { kbApi, type ArticleContent, type Outcome, type TryResult } from "./kbApi";

export function TryIt({ auth, draft }: { auth: Auth; draft: () => (ArticleContent & { id: string }) | null }) {
  const { t } = useI18n();
  const [question, setQuestion] = useState("");
  const [result, setResult] = useState<TryResult | null>(null);
  const [error, setError] = useState("");
  const run = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      setResult(await kbApi.tryIt(auth, question, draft()));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <section class="kb-panel fb-card" aria-labelledby="kb-try-title" id="kb-try">
      <h2 id="kb-try-title">{t("app.kb.try")}</h2>
      <form class="kb-try-form" onSubmit={run}>
        <input class="fb-input" id="kb-try-question" required value={question} aria-label={t("app.kb.try_question")}
               placeholder={t("app.kb.try_question")} onInput={(e) => setQuestion((e.target as HTMLInputElement).value)} />
        <Button type="submit" id="kb-try-run">{t("app.kb.try_run")}</Button>
      </form>
      <div class="fb-error" role="alert">{error}</div>
      {result && (
        <div class="kb-try-results" aria-live="polite">
          <OutcomeView id="kb-try-published" title={t("app.kb.try_published")} outcome={result.published} />
          {result.with_draft && <OutcomeView id="kb-try-draft" title={t("app.kb.try_with_draft")} outcome={result.with_draft} />}
        </div>
      )}
    </section>
  );
}

function OutcomeView({ id, title, outcome }: { id: string; title: string; outcome: Outcome }) {
  const { t } = useI18n();
  const tone = outcome.outcome === "answer" ? "ok" : outcome.outcome === "clarify" ? "warn" : "danger";
  return (
    <div class="kb-outcome" id={id} data-outcome={outcome.outcome}>
      <h3>{title}: <Tag tone={tone}>{t(`app.kb.outcome.${outcome.outcome}`)}</Tag>
        {outcome.confidence != null && <span class="kb-conf"> {t("app.kb.confidence", { value: outcome.confidence.toFixed(2) })}</span>}</h3>
      <div class="kb-table-wrap">
        <table class="kb-table">
          <thead><tr><th scope="col">#</th><th scope="col">{t("app.kb.article")}</th><th scope="col">{t("app.kb.fused")}</th>
            <th scope="col">{t("app.kb.dense")}</th><th scope="col">{t("app.kb.lexical")}</th></tr></thead>
          <tbody>
            {outcome.hits.map((h, i) => (
              <tr data-article-id={h.article_id}>
                <td>{i + 1}</td>
                <td>{h.title} {h.status === "draft" && <Tag tone="info">{t("app.kb.status.draft")}</Tag>}</td>
                <td>{h.score.toFixed(3)}</td><td>{h.dense.toFixed(3)}</td><td>{h.lexical.toFixed(3)}</td>
              </tr>))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
