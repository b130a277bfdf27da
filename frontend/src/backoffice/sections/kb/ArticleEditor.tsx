// One article: its content with a live preview, its translations side by side, publishing, history with diffs
// and restore, "try it", and — when someone else saved first — a merge of their change and this one.
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../../i18n";
import { ApiError, type Auth } from "../../../shared/api";
import { Button, Field, Tag } from "../../../shared/components";
import { Markdown } from "../../../shared/Markdown";
import { navigate } from "../../../shared/router";
import { Conflict } from "./Conflict";
import { History } from "./History";
import {
  contentOf, kbApi, prefillStore, slugify, type Article, type ArticleContent, type Collision, type QuestionKey,
} from "./kbApi";
import { TryIt } from "./TryIt";

const EMPTY: ArticleContent = { title: "", questions: [""], answer: "", category: "", language: "en", tags: [], group: null };

export function ArticleEditor({ auth, articleId }: { auth: Auth; articleId: string | null }) {
  const { t } = useI18n();
  const [server, setServer] = useState<Article | null>(null);
  const [form, setForm] = useState<ArticleContent>(EMPTY);
  const [newId, setNewId] = useState("");
  const [idEdited, setIdEdited] = useState(false);
  const [fromCluster, setFromCluster] = useState<QuestionKey[] | null>(null);
  const [categories, setCategories] = useState<string[]>([]);
  const [collisions, setCollisions] = useState<Collision[]>([]);
  const [notice, setNotice] = useState("");
  const [error, setError] = useState("");
  const [conflict, setConflict] = useState<{ mine: ArticleContent; baseVersion: number } | null>(null);
  const [historyKey, setHistoryKey] = useState(0);

  const adopt = (a: Article) => {
    setServer((old) => ({ ...a, translations: a.translations ?? old?.translations,
                          missing_languages: a.missing_languages ?? old?.missing_languages }));
    setForm(contentOf(a));
  };

  const load = async (id: string) => {
    const r = await kbApi.get(auth, id);
    setServer(r.article);
    setForm(contentOf(r.article));
  };

  useEffect(() => {
    kbApi.list(auth, { status: "published", q: "" }).then((r) => setCategories(r.categories)).catch(() => {});
    if (articleId) {
      load(articleId).catch((e) => setError(e.message));
    } else {
      const prefill = prefillStore.take();
      if (prefill) {
        setForm({ ...EMPTY, ...prefill.content });
        setFromCluster(prefill.keys.length ? prefill.keys : null);
        setNewId(slugify(prefill.content.title, prefill.content.language));
      }
    }
  }, [articleId]);

  const dirty = !server || JSON.stringify(contentOf(server)) !== JSON.stringify(cleaned(form));
  const set = <K extends keyof ArticleContent>(key: K, value: ArticleContent[K]) => setForm((f) => ({ ...f, [key]: value }));

  const explain = (err: unknown): string => {
    if (err instanceof ApiError) return t("app.kb.error", { message: err.message });
    return String(err);
  };

  const save = async (openAfterCreate = true): Promise<Article | null> => {
    setError(""); setNotice("");
    const content = cleaned(form);
    try {
      if (!server) {
        const id = newId.trim();
        const r = fromCluster
          ? await kbApi.draftFromCluster(auth, fromCluster, { ...content, id })
          : await kbApi.create(auth, { ...content, id });
        setCollisions(r.collisions || []);
        setNotice(t("app.kb.saved", { version: r.article.version }));
        if (openAfterCreate) navigate("/app/kb/" + encodeURIComponent(r.article.id), true);
        return r.article;
      }
      const r = await kbApi.update(auth, server.id, { ...content, version: server.version });
      adopt(r.article);
      setCollisions(r.collisions || []);
      setNotice(t("app.kb.saved", { version: r.article.version }));
      setHistoryKey((k) => k + 1);
      return r.article;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && server) {
        setConflict({ mine: content, baseVersion: server.version });
        return null;
      }
      setError(explain(err));
      return null;
    }
  };

  const act = async (action: "publish" | "unpublish" | "archive") => {
    let current = server;
    if (dirty) current = await save(false);
    if (!current) return;
    try {
      const r = await kbApi.setStatus(auth, current.id, action, current.version);
      if (!server) { navigate("/app/kb/" + encodeURIComponent(r.article.id), true); return; }
      adopt(r.article);
      setNotice(t(`app.kb.did.${action}`));
      setHistoryKey((k) => k + 1);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) { setConflict({ mine: cleaned(form), baseVersion: current.version }); return; }
      setError(explain(err));
    }
  };

  const draftForTry = (): (ArticleContent & { id: string }) | null => {
    const content = cleaned(form);
    if (server?.status === "published" && !dirty) return null;  // the draft would be what is published
    if (!content.title || !content.questions.length || !content.answer || !content.category) return null;
    return { ...content, id: server?.id || newId || "draft-" + content.language };
  };

  const otherLanguage = form.language === "en" ? "zh" : "en";
  const addTranslation = () => {
    prefillStore.set({ content: { ...EMPTY, title: "", questions: [""], category: form.category, tags: form.tags,
                                  language: otherLanguage, group: server?.group || form.group }, keys: [] });
    navigate("/app/kb/~new");
  };

  return (
    <div class="kb-editor">
      <p class="kb-back"><a href="/app/kb" onClick={(e) => { e.preventDefault(); navigate("/app/kb"); }}>← {t("app.kb.back")}</a></p>
      <div class="kb-head">
        <h1 id="section-title">{server ? server.title : t("app.kb.new")}</h1>
        {server && <span class="kb-state">
          <Tag tone={server.status === "published" ? "ok" : server.status === "draft" ? "info" : undefined}>
            <span id="kb-status">{t(`app.kb.status.${server.status}`)}</span></Tag>
          <span class="kb-version">{t("app.kb.version", { version: server.version })}</span>
          {dirty && <Tag tone="warn">{t("app.kb.unsaved")}</Tag>}
        </span>}
      </div>
      {fromCluster && <p class="kb-from-cluster fb-card">{t("app.kb.from_cluster", { count: fromCluster.length })}</p>}
      {conflict && server && (
        <Conflict auth={auth} articleId={server.id} mine={conflict.mine} baseVersion={conflict.baseVersion}
                  onResolved={(a, collide) => { setConflict(null); adopt(a); setCollisions(collide);
                                                setNotice(t("app.kb.saved", { version: a.version })); setHistoryKey((k) => k + 1); }}
                  onDiscard={(a) => { setConflict(null); adopt(a); }} />
      )}
      <div class="kb-columns">
        <form class="kb-form fb-card" id="kb-form" onSubmit={(e) => { e.preventDefault(); save(); }}>
          {!server && (
            <Field label={t("app.kb.id")}>
              <input class="fb-input" id="kb-id" required value={newId} pattern="[a-z0-9][a-z0-9._\-]{0,127}"
                     onInput={(e) => { setIdEdited(true); setNewId((e.target as HTMLInputElement).value); }} />
            </Field>
          )}
          <Field label={t("app.kb.title")}>
            <input class="fb-input" id="kb-title" required value={form.title}
                   onInput={(e) => {
                     const title = (e.target as HTMLInputElement).value;
                     set("title", title);
                     if (!server && !idEdited) setNewId(slugify(title, form.language));
                   }} />
          </Field>
          <fieldset class="kb-phrasings">
            <legend>{t("app.kb.phrasings")}</legend>
            <ol id="kb-phrasings">
              {form.questions.map((q, i) => (
                <li>
                  <input class="fb-input" value={q} aria-label={t("app.kb.phrasing_n", { n: i + 1 })}
                         onInput={(e) => set("questions", form.questions.map((x, j) => (j === i ? (e.target as HTMLInputElement).value : x)))} />
                  <button type="button" class="fb-btn quiet kb-remove" aria-label={t("app.kb.remove_phrasing", { n: i + 1 })}
                          onClick={() => set("questions", form.questions.filter((_, j) => j !== i))}>✕</button>
                </li>
              ))}
            </ol>
            <Button id="kb-add-phrasing" onClick={() => set("questions", [...form.questions, ""])}>+ {t("app.kb.add_phrasing")}</Button>
          </fieldset>
          <div class="kb-answer">
            <Field label={t("app.kb.answer")}>
              <textarea class="fb-input" id="kb-answer" rows={8} required value={form.answer}
                        onInput={(e) => set("answer", (e.target as HTMLTextAreaElement).value)} />
            </Field>
            <div class="kb-preview">
              <span class="kb-label" id="kb-preview-label">{t("app.kb.preview")}</span>
              <div class="kb-bubble" id="kb-preview" aria-labelledby="kb-preview-label"><Markdown text={form.answer} /></div>
            </div>
          </div>
          <div class="kb-meta">
            <Field label={t("app.kb.category")}>
              <select class="fb-input" id="kb-category" required value={form.category}
                      onChange={(e) => set("category", (e.target as HTMLSelectElement).value)}>
                <option value="">—</option>
                {categories.map((c) => <option value={c}>{c}</option>)}
              </select>
            </Field>
            <Field label={t("app.kb.language")}>
              <select class="fb-input" id="kb-language" value={form.language}
                      onChange={(e) => set("language", (e.target as HTMLSelectElement).value)}>
                {["en", "zh"].map((l) => <option value={l}>{t(`app.kb.lang.${l}` as any)}</option>)}
              </select>
            </Field>
            <Field label={t("app.kb.tags_comma")}>
              <input class="fb-input" id="kb-tags" value={form.tags.join(", ")}
                     onInput={(e) => set("tags", (e.target as HTMLInputElement).value.split(",").map((x) => x.trim()).filter(Boolean))} />
            </Field>
          </div>
          <div class="kb-actions">
            <Button type="submit" id="kb-save" disabled={!dirty}>{t("app.kb.save_draft")}</Button>
            {server?.status !== "published" && <Button variant="primary" id="kb-publish" disabled={!server && !newId} onClick={() => act("publish")}>{t("app.kb.publish")}</Button>}
            {server?.status === "published" && <Button id="kb-unpublish" onClick={() => act("unpublish")}>{t("app.kb.unpublish")}</Button>}
            {server && server.status !== "archived" && <Button variant="danger" id="kb-archive" onClick={() => act("archive")}>{t("app.kb.archive")}</Button>}
          </div>
          <div class="kb-notice" role="status" id="kb-notice">{notice}</div>
          <div class="fb-error" role="alert" id="kb-error">{error}</div>
          {collisions.length > 0 && (
            <div class="kb-collisions fb-card" id="kb-collisions" role="alert">
              <strong>{t("app.kb.collisions")}</strong>
              <ul>{collisions.map((c) => <li>{t("app.kb.collision", { phrasing: c.phrasing, title: c.title, score: c.score.toFixed(2) })}</li>)}</ul>
            </div>
          )}
        </form>
        <aside class="kb-side">
          <TryIt auth={auth} draft={draftForTry} />
          <Translations auth={auth} article={server} language={form.language} onAdd={addTranslation} />
          {server && <History key={historyKey} auth={auth} article={server}
                              onRestored={(a) => { adopt(a); setHistoryKey((k) => k + 1); setNotice(t("app.kb.restored")); }}
                              onConflict={() => setConflict({ mine: cleaned(form), baseVersion: server.version })} />}
        </aside>
      </div>
    </div>
  );
}

function cleaned(form: ArticleContent): ArticleContent {
  return { ...form, title: form.title.trim(), answer: form.answer.trim(), category: form.category.trim(),
           questions: [...new Set(form.questions.map((q) => q.trim()).filter(Boolean))], tags: form.tags };
}

function Translations({ auth, article, language, onAdd }: { auth: Auth; article: Article | null; language: string; onAdd: () => void }) {
  const { t } = useI18n();
  const [others, setOthers] = useState<Article[]>([]);
  useEffect(() => {
    if (!article?.translations?.length) { setOthers([]); return; }
    Promise.all(article.translations.map((x) => kbApi.get(auth, x.id).then((r) => r.article))).then(setOthers).catch(() => {});
  }, [article?.id, article?.version]);
  if (!article) return null;
  const missing = article.missing_languages || [];
  return (
    <section class="kb-panel fb-card" aria-labelledby="kb-translations-title" id="kb-translations">
      <h2 id="kb-translations-title">{t("app.kb.translations")}</h2>
      {missing.map((l) => (
        <p class="kb-missing"><Tag tone="warn">{t("app.kb.missing", { language: t(`app.kb.lang.${l}` as any) })}</Tag>{" "}
          <Button onClick={onAdd}>{t("app.kb.add_translation", { language: t(`app.kb.lang.${l}` as any) })}</Button></p>
      ))}
      <div class="kb-side-by-side">
        <div class="kb-translation" lang={language === "zh" ? "zh" : "en"}>
          <h3>{t(`app.kb.lang.${article.language}` as any)} · {t("app.kb.this_one")}</h3>
          <p><strong>{article.title}</strong></p>
          <div class="kb-bubble"><Markdown text={article.answer} /></div>
        </div>
        {others.map((o) => (
          <div class="kb-translation" lang={o.language === "zh" ? "zh" : "en"}>
            <h3>{t(`app.kb.lang.${o.language}` as any)} · <a href={"/app/kb/" + o.id}
                onClick={(e) => { e.preventDefault(); navigate("/app/kb/" + encodeURIComponent(o.id)); }}>{o.id}</a></h3>
            <p><strong>{o.title}</strong></p>
            <div class="kb-bubble"><Markdown text={o.answer} /></div>
          </div>
        ))}
      </div>
    </section>
  );
}
