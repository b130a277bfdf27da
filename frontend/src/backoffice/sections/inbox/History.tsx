// Past conversations: search by text, customer, tag and dates; open one to read it (and add notes or tags).
import { useEffect, useState } from "preact/hooks";
import { htmlLang, useI18n } from "../../../i18n";
import { api, type Auth } from "../../../shared/api";
import { Button, formatDateTime, Tag } from "../../../shared/components";

export function History({ auth, onOpen, selected }: { auth: Auth; onOpen: (conversationId: string) => void; selected: string | null }) {
  const { t, locale } = useI18n();
  const [query, setQuery] = useState({ text: "", customer: "", tag: "", from: "", to: "" });
  const [results, setResults] = useState<any[] | null>(null);
  const [error, setError] = useState("");
  const search = async (ev?: Event) => {
    ev?.preventDefault();
    setError("");
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
    try { setResults((await api<any>("GET", "/api/agent/conversations?" + params.toString(), undefined, auth)).conversations); }
    catch (err) { setError((err as Error).message); }
  };
  useEffect(() => { search(); }, []);
  const input = (name: keyof typeof query, label: string, type = "text") => (
    <label class="fb-field"><span>{label}</span>
      <input class="fb-input small" name={name} type={type} value={query[name]}
             onInput={(e) => setQuery((q) => ({ ...q, [name]: (e.target as HTMLInputElement).value }))} /></label>
  );
  return (
    <div class="inbox-scroll" id="search">
      <form class="search-form" onSubmit={search} role="search" aria-label={t("inbox.search")}>
        {input("text", t("inbox.search.text"))}
        {input("customer", t("inbox.search.customer"))}
        {input("tag", t("inbox.search.tag"))}
        <div class="dates">{input("from", t("inbox.search.from"), "date")}{input("to", t("inbox.search.to"), "date")}</div>
        <Button type="submit" variant="primary" id="search-submit">{t("inbox.search.submit")}</Button>
        <div class="fb-error" role="alert">{error}</div>
      </form>
      {results && <p class="muted results-count">{results.length ? t("inbox.search.results", { count: results.length }) : t("inbox.search.none")}</p>}
      {(results || []).map((c) => (
        <button type="button" class={"item" + (selected === "conversation:" + c.id ? " active" : "")} data-conversation-id={c.id} onClick={() => onOpen(c.id)}>
          <span class="line1"><span class="tags">{c.tags.map((tag: string) => <Tag>{tag}</Tag>)}{c.visitor?.name && <Tag tone="info">{c.visitor.name}</Tag>}</span>
            <span class="wait">{formatDateTime(c.created_at, htmlLang(locale))}</span></span>
          <span class="summary">{c.summary || t("inbox.no_message")}</span>
        </button>
      ))}
    </div>
  );
}
