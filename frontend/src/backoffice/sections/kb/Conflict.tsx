// Someone saved the article after this editor opened it: show what they changed, and merge it with this edit
// field by field (a field only one side changed takes that side's value; where both changed, the editor picks).
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import { ApiError, type Auth } from "../../../shared/api";
import { Button } from "../../../shared/components";
import { CONTENT_FIELDS, contentOf, kbApi, sameValue, type Article, type ArticleContent, type Collision, type ContentField } from "./kbApi";

type Pick = "mine" | "theirs" | "both";

export function Conflict({ auth, articleId, mine, baseVersion, onResolved, onDiscard }: {
  auth: Auth; articleId: string; mine: ArticleContent; baseVersion: number;
  onResolved: (a: Article, collisions: Collision[]) => void; onDiscard: (a: Article) => void;
}) {
  const { t } = useI18n();
  const [theirs, setTheirs] = useState<Article | null>(null);
  const [base, setBase] = useState<Article | null>(null);
  const [picks, setPicks] = useState<Partial<Record<ContentField, Pick>>>({});
  const [error, setError] = useState("");

  const reload = async () => {
    const [current, old] = await Promise.all([kbApi.get(auth, articleId), kbApi.version(auth, articleId, baseVersion)]);
    setTheirs(current.article);
    setBase(old.article);
    const next: Partial<Record<ContentField, Pick>> = {};
    for (const f of CONTENT_FIELDS) {
      const theirsChanged = !sameValue(old.article[f], current.article[f]);
      const mineChanged = !sameValue(old.article[f], mine[f]);
      if (theirsChanged && !mineChanged) next[f] = "theirs";
      else if (mineChanged && theirsChanged) next[f] = f === "questions" ? "both" : "mine";
      else next[f] = "mine";
    }
    setPicks(next);
  };
  useEffect(() => { reload().catch((e) => setError(String(e.message))); }, [articleId, baseVersion]);
  if (!theirs || !base) return <div class="kb-conflict fb-card" role="alert">{t("common.loading")}{error}</div>;

  const changedByThem = CONTENT_FIELDS.filter((f) => !sameValue(base[f], theirs[f]));
  const changedByMe = CONTENT_FIELDS.filter((f) => !sameValue(base[f], mine[f]));
  const merged = (): ArticleContent => {
    const out = contentOf(theirs);
    for (const f of CONTENT_FIELDS) {
      const pick = picks[f];
      if (pick === "mine") (out as any)[f] = mine[f];
      if (pick === "both") (out as any)[f] = [...new Set([...(theirs[f] as string[]), ...(mine[f] as string[])])];
    }
    return out;
  };
  const saveMerged = async () => {
    try {
      const r = await kbApi.update(auth, articleId, { ...merged(), version: theirs.version });
      onResolved(r.article, r.collisions || []);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) { await reload(); setError(t("app.kb.conflict_again")); }
      else setError(String((err as Error).message));
    }
  };
  const show = (v: unknown) => (Array.isArray(v) ? v.join(" | ") : String(v ?? "—"));
  return (
    <div class="kb-conflict fb-card" role="alert" id="kb-conflict">
      <h2>{t("app.kb.conflict_title", { who: theirs.author || "?", version: theirs.version })}</h2>
      <p>{t("app.kb.conflict_help")}</p>
      <div class="kb-table-wrap">
        <table class="kb-table">
          <thead><tr><th scope="col">{t("app.kb.field")}</th><th scope="col">{t("app.kb.conflict_before")}</th>
            <th scope="col">{t("app.kb.conflict_theirs")}</th><th scope="col">{t("app.kb.conflict_mine")}</th><th scope="col">{t("app.kb.conflict_keep")}</th></tr></thead>
          <tbody>
            {CONTENT_FIELDS.filter((f) => changedByThem.includes(f) || changedByMe.includes(f)).map((f) => (
              <tr data-field={f}>
                <th scope="row">{t(`app.kb.field.${f}` as any)}</th>
                <td class="kb-cell">{show(base[f])}</td>
                <td class={"kb-cell" + (changedByThem.includes(f) ? " changed" : "")}>{show(theirs[f])}</td>
                <td class={"kb-cell" + (changedByMe.includes(f) ? " changed" : "")}>{show(mine[f])}</td>
                <td>
                  <fieldset class="kb-picks"><legend class="fb-sr-only">{t(`app.kb.field.${f}` as any)}</legend>
                    {(["theirs", "mine", ...(f === "questions" || f === "tags" ? ["both"] : [])] as Pick[]).map((p) => (
                      <label><input type="radio" name={"pick-" + f} value={p} checked={picks[f] === p}
                                    onChange={() => setPicks({ ...picks, [f]: p })} /> {t(`app.kb.pick.${p}`)}</label>))}
                  </fieldset>
                </td>
              </tr>))}
          </tbody>
        </table>
      </div>
      <div class="kb-actions">
        <Button variant="primary" id="kb-save-merged" onClick={saveMerged}>{t("app.kb.save_merged")}</Button>
        <Button id="kb-discard-mine" onClick={() => onDiscard(theirs)}>{t("app.kb.discard_mine")}</Button>
      </div>
      <div class="fb-error">{error}</div>
    </div>
  );
}
