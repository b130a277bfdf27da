// An article's saved versions: a readable diff of any of them against the current one, and restore.
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import { ApiError, type Auth } from "../../../shared/api";
import { Button, formatDateTime } from "../../../shared/components";
import { kbApi, type Article, type Version } from "./kbApi";

export function History({ auth, article, onRestored, onConflict }: {
  auth: Auth; article: Article; onRestored: (a: Article) => void; onConflict: () => void;
}) {
  const { t, locale } = useI18n();
  const [versions, setVersions] = useState<Version[]>([]);
  const [chosen, setChosen] = useState<number | null>(null);
  const [changes, setChanges] = useState<Record<string, string> | null>(null);
  const [error, setError] = useState("");
  useEffect(() => { kbApi.versions(auth, article.id).then((r) => setVersions(r.versions.reverse())).catch((e) => setError(e.message)); }, [article.id, article.version]);

  const show = async (v: number) => {
    setChosen(v);
    setChanges((await kbApi.diff(auth, article.id, v, article.version)).changes);
  };
  const restore = async () => {
    if (chosen == null) return;
    try {
      onRestored((await kbApi.restore(auth, article.id, chosen, article.version)).article);
      setChosen(null); setChanges(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) onConflict();
      else setError(String((err as Error).message));
    }
  };
  return (
    <section class="kb-panel fb-card" aria-labelledby="kb-history-title" id="kb-history">
      <h2 id="kb-history-title">{t("app.kb.history")}</h2>
      <ol class="kb-versions">
        {versions.map((v) => (
          <li>
            <button type="button" class={"kb-version-btn" + (chosen === v.version ? " active" : "")} data-version={v.version}
                    aria-pressed={chosen === v.version} onClick={() => show(v.version)}>
              {t("app.kb.version", { version: v.version })} · {t(`app.kb.status.${v.status}`)} · {v.author || "—"} · {formatDateTime(v.saved_at, locale)}
            </button>
          </li>))}
      </ol>
      <div class="fb-error" role="alert">{error}</div>
      {chosen != null && changes && (
        <div class="kb-diff" id="kb-diff">
          <h3>{t("app.kb.diff_title", { from: chosen, to: article.version })}</h3>
          {!Object.keys(changes).length && <p class="fb-empty">{t("app.kb.no_changes")}</p>}
          {Object.entries(changes).map(([field, diff]) => (
            <div class="kb-diff-field">
              <h4>{t(`app.kb.field.${field}` as any)}</h4>
              <pre>{diff.split("\n").filter((l) => !l.startsWith("---") && !l.startsWith("+++") && !l.startsWith("@@")).map((l) => (
                <span class={l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : ""}>{l.startsWith("+") ? t("app.kb.diff_added") : l.startsWith("-") ? t("app.kb.diff_removed") : "  "} {l.slice(1)}{"\n"}</span>))}</pre>
            </div>))}
          {chosen !== article.version && <Button id="kb-restore" onClick={restore}>{t("app.kb.restore", { version: chosen })}</Button>}
        </div>
      )}
    </section>
  );
}
