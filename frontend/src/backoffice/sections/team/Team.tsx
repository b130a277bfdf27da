// The Team section: everyone's roles, routing, presence and load (supervisors read, admins edit: create,
// edit, deactivate or reactivate an account, set a temporary password), and the canned replies
// (shared ones managed by supervisors and admins, personal ones by their owner).
import { useEffect, useState } from "preact/hooks";
import { useI18n, type MessageKey } from "../../../i18n";
import { api, ApiError, type Auth } from "../../../shared/api";
import { Button, Field, Tag } from "../../../shared/components";
import { hasAnyRole, type AgentAccount, type Role } from "../../../shared/session";
import type { SectionProps } from "../../types";
import "./team.css";

const ROLES: Role[] = ["agent", "editor", "supervisor", "admin"];
const LANGUAGES = ["en", "zh"] as const;

export interface Account {
  id: string; username: string; display_name: string; roles: Role[]; skills: string[]; languages: string[];
  max_concurrent: number; auto_assign: boolean; presence: string; active: boolean; load: number;
  connected: boolean; sessions: number;
}
interface Canned { id: string; title: string; text: string; language: string | null; shared: boolean; mine: boolean; can_manage: boolean }

type Call = <T>(method: string, path: string, body?: unknown) => Promise<T>;

function useCall(auth: Auth, onSignedOut: () => void): Call {
  return <T,>(method: string, path: string, body?: unknown) => api<T>(method, path, body, auth).catch((err) => {
    if (err instanceof ApiError && err.status === 401) onSignedOut();
    throw err;
  });
}

export function Team({ me, auth, onSignedOut }: SectionProps) {
  const { t } = useI18n();
  const [tab, setTab] = useState<"people" | "canned">("people");
  const call = useCall(auth, onSignedOut);
  const canRead = hasAnyRole(me, ["supervisor"]);
  return (
    <section class="team" aria-labelledby="section-title">
      <div class="team-head">
        <h1 id="section-title">{t("app.nav.team")}</h1>
        <div class="team-tabs" role="tablist">
          {canRead && <button role="tab" id="tab-people" aria-selected={tab === "people"} class={tab === "people" ? "active" : ""}
                              onClick={() => setTab("people")}>{t("app.team.people")}</button>}
          <button role="tab" id="tab-canned" aria-selected={tab === "canned" || !canRead} class={tab === "canned" || !canRead ? "active" : ""}
                  onClick={() => setTab("canned")}>{t("app.team.canned")}</button>
        </div>
      </div>
      {tab === "people" && canRead ? <People me={me} call={call} /> : <CannedReplies me={me} call={call} />}
    </section>
  );
}

function People({ me, call }: { me: AgentAccount; call: Call }) {
  const { t } = useI18n();
  const admin = hasAnyRole(me, ["admin"]);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [editing, setEditing] = useState<Account | "new" | null>(null);
  const [acting, setActing] = useState<{ id: string; kind: "deactivate" | "password" } | null>(null);
  const [status, setStatus] = useState("");
  const [error, setError] = useState("");
  const refresh = () => call<{ accounts: Account[] }>("GET", "/api/agent/agents").then((r) => setAccounts(r.accounts))
    .catch((e) => setError(e.message));
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 10_000);  // presence and load move on their own
    return () => clearInterval(timer);
  }, []);

  const act = async (work: () => Promise<string>) => {
    setError(""); setStatus("");
    try { setStatus(await work()); setActing(null); await refresh(); } catch (e) { setError((e as Error).message); }
  };

  return (
    <div class="team-people">
      <div class="team-bar">
        <p class="muted">{t("app.team.summary", { active: accounts.filter((a) => a.active).length,
          online: accounts.filter((a) => a.active && a.presence === "online").length })}</p>
        {admin && <Button variant="primary" id="new-account" onClick={() => { setEditing("new"); setStatus(""); }}>{t("app.team.new")}</Button>}
      </div>
      <div role="status" class="team-status">{status}</div>
      {error && <div class="fb-error" role="alert">{error}</div>}
      {editing && <AccountForm account={editing === "new" ? null : editing} call={call}
                               onDone={(message) => { setEditing(null); setStatus(message); refresh(); }}
                               onCancel={() => setEditing(null)} />}
      <table class="team-table">
        <thead><tr>
          <th scope="col">{t("app.team.name")}</th><th scope="col">{t("app.team.roles")}</th>
          <th scope="col">{t("app.team.presence")}</th><th scope="col">{t("app.team.load")}</th>
          <th scope="col">{t("app.team.routing")}</th>{admin && <th scope="col"><span class="fb-sr-only">{t("app.team.actions")}</span></th>}
        </tr></thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.id} data-username={a.username} class={a.active ? "" : "inactive"}>
              <td data-label={t("app.team.name")}>
                <strong>{a.display_name}</strong> <span class="muted">@{a.username}</span>
                {!a.active && <> <Tag tone="danger">{t("app.team.deactivated")}</Tag></>}
                {a.id === me.id && <> <Tag tone="info">{t("app.team.you")}</Tag></>}
              </td>
              <td data-label={t("app.team.roles")}>{a.roles.map((r) => <Tag key={r} tone={r === "admin" ? "strong" : undefined}>{t(`app.role.${r}` as MessageKey)}</Tag>)}</td>
              <td data-label={t("app.team.presence")}>
                <Tag tone={a.presence === "online" ? "ok" : a.presence === "away" ? "warn" : undefined}>{t(`app.team.presence.${a.presence}` as MessageKey)}</Tag>
                {a.connected && <span class="muted small"> · {t("app.team.connected")}</span>}
              </td>
              <td data-label={t("app.team.load")}>{a.roles.includes("agent") || a.roles.includes("admin") ? `${a.load} / ${a.max_concurrent}` : "—"}</td>
              <td data-label={t("app.team.routing")} class="small">
                {[a.skills.length ? a.skills.join(", ") : t("app.team.any_skill"),
                  a.languages.length ? a.languages.map((l) => l.toUpperCase()).join(" ") : t("app.team.any_language"),
                  a.auto_assign ? t("app.team.auto_assign") : ""].filter(Boolean).join(" · ")}
              </td>
              {admin && <td><div class="team-actions">
                <Button onClick={() => { setEditing(a); setStatus(""); }} aria-label={t("app.team.edit_who", { name: a.display_name })}>{t("app.team.edit")}</Button>
                {a.active
                  ? a.id !== me.id && <Button variant="danger" class="deactivate" aria-label={t("app.team.deactivate_who", { name: a.display_name })}
                                              onClick={() => setActing({ id: a.id, kind: "deactivate" })}>{t("app.team.deactivate")}</Button>
                  : <Button class="activate" onClick={() => act(async () => {
                      await call("POST", `/api/agent/agents/${a.id}/activate`);
                      return t("app.team.activated", { name: a.display_name });
                    })}>{t("app.team.activate")}</Button>}
                <Button variant="quiet" class="reset" onClick={() => setActing({ id: a.id, kind: "password" })}>{t("app.team.reset_password")}</Button>
                {acting?.id === a.id && acting.kind === "deactivate" &&
                  <div class="confirm-box" role="group" aria-label={t("app.team.deactivate")}>
                    <p>{t("app.team.deactivate_confirm", { name: a.display_name })}</p>
                    <Button variant="danger" id="confirm-deactivate" onClick={() => act(async () => {
                      const r = await call<{ sessions_ended: number; conversations_requeued: number }>("POST", `/api/agent/agents/${a.id}/deactivate`);
                      return t("app.team.deactivated_done", { name: a.display_name, sessions: r.sessions_ended, conversations: r.conversations_requeued });
                    })}>{t("app.team.deactivate")}</Button>
                    <Button variant="quiet" onClick={() => setActing(null)}>{t("common.cancel")}</Button>
                  </div>}
                {acting?.id === a.id && acting.kind === "password" &&
                  <PasswordReset account={a} onSubmit={(password) => act(async () => {
                    await call("PUT", `/api/agent/agents/${a.id}/password`, { temporary_password: password });
                    return t("app.team.password_done", { name: a.display_name });
                  })} onCancel={() => setActing(null)} />}
              </div></td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function PasswordReset({ account, onSubmit, onCancel }: { account: Account; onSubmit: (p: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [password, setPassword] = useState("");
  return (
    <form class="confirm-box" onSubmit={(e) => { e.preventDefault(); onSubmit(password); }}>
      <p>{t("app.team.password_help", { name: account.display_name })}</p>
      <Field label={t("app.team.temporary_password")}>
        <input class="fb-input" id="temporary-password" type="text" autocomplete="new-password" required minLength={8}
               value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      </Field>
      <div class="row"><Button variant="primary" type="submit">{t("app.team.reset_password")}</Button>
        <Button variant="quiet" onClick={onCancel}>{t("common.cancel")}</Button></div>
    </form>
  );
}

function AccountForm({ account, call, onDone, onCancel }: { account: Account | null; call: Call;
                                                            onDone: (message: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState(account?.display_name || "");
  const [roles, setRoles] = useState<Role[]>(account?.roles || ["agent"]);
  const [skills, setSkills] = useState((account?.skills || []).join(", "));
  const [languages, setLanguages] = useState<string[]>(account?.languages || []);
  const [capacity, setCapacity] = useState(String(account?.max_concurrent || 3));
  const [autoAssign, setAutoAssign] = useState(!!account?.auto_assign);
  const [error, setError] = useState("");
  const toggle = <V,>(list: V[], value: V, on: boolean) => on ? [...list, value] : list.filter((x) => x !== value);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError("");
    const body: Record<string, unknown> = {
      display_name: name.trim() || undefined, roles, languages, auto_assign: autoAssign,
      skills: skills.split(/[,，]/).map((s) => s.trim()).filter(Boolean), max_concurrent: Number(capacity),
    };
    try {
      if (account) {
        await call("PATCH", `/api/agent/agents/${account.id}`, body);
        onDone(t("app.team.saved", { name: name || account.display_name }));
      } else {
        await call("POST", "/api/agent/agents", { ...body, username: username.trim(), password });
        onDone(t("app.team.created", { name: name || username }));
      }
    } catch (e) { setError((e as Error).message); }
  };

  return (
    <form class="account-form fb-card" id="account-form" onSubmit={submit} aria-labelledby="account-form-title">
      <h2 id="account-form-title">{account ? t("app.team.edit_who", { name: account.display_name }) : t("app.team.new")}</h2>
      <div class="grid">
        {!account && <Field label={t("app.signin.username")}>
          <input class="fb-input" id="new-username" required autocomplete="off" value={username}
                 onInput={(e) => setUsername((e.target as HTMLInputElement).value)} /></Field>}
        {!account && <Field label={t("app.team.initial_password")}>
          <input class="fb-input" id="new-password" type="text" autocomplete="new-password" required minLength={8} value={password}
                 onInput={(e) => setPassword((e.target as HTMLInputElement).value)} /></Field>}
        <Field label={t("app.team.display_name")}>
          <input class="fb-input" id="display-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></Field>
        <Field label={t("app.team.capacity")}>
          <input class="fb-input" id="capacity" type="number" min={1} max={50} value={capacity}
                 onInput={(e) => setCapacity((e.target as HTMLInputElement).value)} /></Field>
        <Field label={t("app.team.skills")}>
          <input class="fb-input" id="skills" placeholder={t("app.team.skills_hint")} value={skills}
                 onInput={(e) => setSkills((e.target as HTMLInputElement).value)} /></Field>
      </div>
      <fieldset><legend>{t("app.team.roles")}</legend>
        {ROLES.map((r) => <label class="check" key={r}><input type="checkbox" name="role" value={r} checked={roles.includes(r)}
          onChange={(e) => setRoles(toggle(roles, r, (e.target as HTMLInputElement).checked))} /> {t(`app.role.${r}` as MessageKey)}</label>)}
      </fieldset>
      <fieldset><legend>{t("app.team.languages")}</legend>
        {LANGUAGES.map((l) => <label class="check" key={l}><input type="checkbox" name="language" value={l} checked={languages.includes(l)}
          onChange={(e) => setLanguages(toggle(languages, l, (e.target as HTMLInputElement).checked))} /> {t(l === "en" ? "lang.en" : "lang.zh-Hans")}</label>)}
        <label class="check"><input type="checkbox" id="auto-assign" checked={autoAssign}
          onChange={(e) => setAutoAssign((e.target as HTMLInputElement).checked)} /> {t("app.team.auto_assign")}</label>
      </fieldset>
      <div class="fb-error" role="alert" id="account-error">{error}</div>
      <div class="row">
        <Button variant="primary" type="submit" id="save-account">{account ? t("common.save") : t("app.team.create")}</Button>
        <Button variant="quiet" onClick={onCancel}>{t("common.cancel")}</Button>
      </div>
    </form>
  );
}

function CannedReplies({ me, call }: { me: AgentAccount; call: Call }) {
  const { t } = useI18n();
  const [replies, setReplies] = useState<Canned[]>([]);
  const [editing, setEditing] = useState<Canned | "new" | null>(null);
  const [error, setError] = useState("");
  const refresh = () => call<{ replies: Canned[] }>("GET", "/api/agent/canned").then((r) => setReplies(r.replies)).catch((e) => setError(e.message));
  useEffect(() => { refresh(); }, []);
  const remove = async (r: Canned) => {
    setError("");
    try { await call("DELETE", `/api/agent/canned/${r.id}`); refresh(); } catch (e) { setError((e as Error).message); }
  };
  const groups: [MessageKey, Canned[]][] = [["app.team.canned_shared", replies.filter((r) => r.shared)],
                                            ["app.team.canned_mine", replies.filter((r) => r.mine)]];
  return (
    <div class="team-canned">
      <div class="team-bar">
        <p class="muted">{t("app.team.canned_help")}</p>
        <Button variant="primary" id="new-canned" onClick={() => setEditing("new")}>{t("app.team.canned_new")}</Button>
      </div>
      {error && <div class="fb-error" role="alert">{error}</div>}
      {editing && <CannedForm reply={editing === "new" ? null : editing} me={me} call={call}
                              onDone={() => { setEditing(null); refresh(); }} onCancel={() => setEditing(null)} />}
      {groups.map(([label, list]) => (
        <section key={label} class="canned-group">
          <h2>{t(label)} <span class="muted">({list.length})</span></h2>
          {list.length === 0 ? <p class="muted">{t("app.team.canned_none")}</p> : (
            <ul class="canned-list">
              {list.map((r) => (
                <li key={r.id} data-title={r.title}>
                  <div class="canned-text"><strong>{r.title}</strong>{r.language && <> <Tag>{r.language.toUpperCase()}</Tag></>}
                    <p>{r.text}</p></div>
                  {r.can_manage && <div class="row">
                    <Button onClick={() => setEditing(r)}>{t("app.team.edit")}</Button>
                    <Button variant="danger" onClick={() => remove(r)} aria-label={t("app.team.canned_delete_which", { title: r.title })}>{t("app.team.delete")}</Button>
                  </div>}
                </li>
              ))}
            </ul>)}
        </section>
      ))}
    </div>
  );
}

function CannedForm({ reply, me, call, onDone, onCancel }: { reply: Canned | null; me: AgentAccount; call: Call;
                                                             onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [title, setTitle] = useState(reply?.title || "");
  const [text, setText] = useState(reply?.text || "");
  const [language, setLanguage] = useState(reply?.language || "");
  const [shared, setShared] = useState(reply?.shared ?? false);
  const [error, setError] = useState("");
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError("");
    try {
      if (reply) await call("PATCH", `/api/agent/canned/${reply.id}`, { title, text, language: language || null });
      else await call("POST", "/api/agent/canned", { title, text, language: language || null, shared });
      onDone();
    } catch (e) { setError((e as Error).message); }
  };
  return (
    <form class="account-form fb-card" id="canned-form" onSubmit={submit}>
      <div class="grid">
        <Field label={t("app.team.canned_title")}>
          <input class="fb-input" id="canned-title" required maxLength={120} value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} /></Field>
        <Field label={t("common.language")}>
          <select class="fb-input" id="canned-language" value={language} onChange={(e) => setLanguage((e.target as HTMLSelectElement).value)}>
            <option value="">{t("app.team.any_language")}</option>
            <option value="en">{t("lang.en")}</option><option value="zh">{t("lang.zh-Hans")}</option>
          </select></Field>
      </div>
      <Field label={t("app.team.canned_text")}>
        <textarea class="fb-input" id="canned-text" required maxLength={2000} rows={3} value={text}
                  onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} /></Field>
      {!reply && hasAnyRole(me, ["supervisor"]) && <label class="check"><input type="checkbox" id="canned-shared" checked={shared}
        onChange={(e) => setShared((e.target as HTMLInputElement).checked)} /> {t("app.team.canned_share")}</label>}
      <div class="fb-error" role="alert">{error}</div>
      <div class="row"><Button variant="primary" type="submit">{t("common.save")}</Button>
        <Button variant="quiet" onClick={onCancel}>{t("common.cancel")}</Button></div>
    </form>
  );
}
