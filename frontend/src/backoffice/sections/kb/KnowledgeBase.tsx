// The knowledge-base section: /app/kb (articles), /app/kb/~quality (how each article does), /app/kb/~new, /app/kb/<id>.
import { useI18n } from "../../../i18n";
import { navigate } from "../../../shared/router";
import type { SectionProps } from "../../types";
import { ArticleEditor } from "./ArticleEditor";
import { ArticleList } from "./ArticleList";
import { Quality } from "./Quality";
import "./kb.css";

export function KnowledgeBase(props: SectionProps) {
  const { t } = useI18n();
  const rest = decodeURIComponent(props.path.slice("/app/kb".length).replace(/^\/+/, ""));
  const view = rest === "~quality" ? "quality" : rest ? "article" : "list";
  return (
    <section class="kb" aria-labelledby="section-title">
      {view !== "article" && (
        <div class="kb-tabs" role="tablist" aria-label={t("app.kb.views")}>
          <button role="tab" type="button" aria-selected={view === "list"} class={view === "list" ? "active" : ""}
                  onClick={() => navigate("/app/kb")}>{t("app.kb.articles")}</button>
          <button role="tab" type="button" aria-selected={view === "quality"} class={view === "quality" ? "active" : ""}
                  id="kb-quality-tab" onClick={() => navigate("/app/kb/~quality")}>{t("app.kb.quality")}</button>
        </div>
      )}
      {view === "list" && <ArticleList auth={props.auth} />}
      {view === "quality" && <Quality auth={props.auth} />}
      {view === "article" && <ArticleEditor key={rest} auth={props.auth} articleId={rest === "~new" ? null : rest} />}
    </section>
  );
}
