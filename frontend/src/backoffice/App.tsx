// The back office: one login, then the sections the account's roles allow, in the language the user picks.
import { useEffect, useMemo, useState } from "preact/hooks";
import { I18nContext, LOCALES, htmlLang, i18nValue, resolveLocale, useI18n, type Locale } from "../i18n";
import { api, ApiError, type Auth } from "../shared/api";
import { Button, Field } from "../shared/components";
import { navigate, usePath } from "../shared/router";
import { hasAnyRole, rolesOf, tokenStore, type AgentAccount } from "../shared/session";
import { SECTIONS, sectionFor } from "./sections";

const LOCALE_KEY = "faqbot.backofficeLocale";

function initialLocale(): Locale {
  return (resolveLocale(localStorage.getItem(LOCALE_KEY)) || resolveLocale(navigator.language) || "en") as Locale;
}

export function App() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const [token, setToken] = useState<string | null>(tokenStore.get());
  const [me, setMe] = useState<AgentAccount | null>(null);
  const [checking, setChecking] = useState<boolean>(!!token);
  const i18n = useMemo(() => i18nValue(locale), [locale]);

  useEffect(() => { document.documentElement.lang = htmlLang(locale); localStorage.setItem(LOCALE_KEY, locale); }, [locale]);

  useEffect(() => {
    if (!token) { setMe(null); setChecking(false); return; }
    setChecking(true);
    api<{ agent: AgentAccount }>("GET", "/api/agent/me", undefined, { kind: "bearer", token })
      .then((r) => setMe(r.agent))
      .catch(() => { tokenStore.clear(); setToken(null); })
      .finally(() => setChecking(false));
  }, [token]);

  const signOut = () => { tokenStore.clear(); setToken(null); setMe(null); };

  return (
    <I18nContext.Provider value={i18n}>
      {checking ? <p class="fb-empty">{i18n.t("common.loading")}</p>
        : me && token ? <Shell me={me} auth={{ kind: "bearer", token }} locale={locale} setLocale={setLocale}
                               onAccountChange={setMe} onSignOut={signOut} />
        : <Login locale={locale} setLocale={setLocale} onSignedIn={(tok, agent) => { tokenStore.set(tok); setToken(tok); setMe(agent); }} />}
    </I18nContext.Provider>
  );
}

function LocalePicker({ locale, setLocale }: { locale: Locale; setLocale: (l: Locale) => void }) {
  const { t } = useI18n();
  return (
    <select class="bo-locale" aria-label={t("common.language")} value={locale}
            onChange={(e) => setLocale((e.target as HTMLSelectElement).value as Locale)}>
      {LOCALES.map((l) => <option value={l} lang={htmlLang(l)}>{t(`lang.${l}` as any)}</option>)}
    </select>
  );
}

function Login({ locale, setLocale, onSignedIn }: { locale: Locale; setLocale: (l: Locale) => void;
                                                     onSignedIn: (token: string, agent: AgentAccount) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError("");
    try {
      const r = await api<{ token: string; agent: AgentAccount }>("POST", "/api/agent/login", { username, password });
      onSignedIn(r.token, r.agent);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t("app.signin.failed")
        : err instanceof ApiError && err.code === "account_deactivated" ? t("app.team.signin_deactivated") : (err as Error).message);
    }
  };
  return (
    <main class="bo-login-page">
      <form class="bo-login fb-card" id="login" onSubmit={submit}>
        <h1>{t("app.signin.title")}</h1>
        <Field label={t("app.signin.username")}>
          <input class="fb-input" id="username" autocomplete="username" required value={username}
                 onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={t("app.signin.password")}>
          <input class="fb-input" id="password" type="password" autocomplete="current-password" required value={password}
                 onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </Field>
        <Button variant="primary" type="submit">{t("app.signin.submit")}</Button>
        <div class="fb-error" id="login-error" role="alert">{error}</div>
        <LocalePicker locale={locale} setLocale={setLocale} />
      </form>
    </main>
  );
}

function Shell({ me, auth, locale, setLocale, onAccountChange, onSignOut }: {
  me: AgentAccount; auth: Auth; locale: Locale; setLocale: (l: Locale) => void;
  onAccountChange: (me: AgentAccount) => void; onSignOut: () => void;
}) {
  const { t } = useI18n();
  const path = usePath();
  const allowed = SECTIONS.filter((s) => hasAnyRole(me, s.roles));
  const section = sectionFor(path);

  useEffect(() => {
    if ((!section || !hasAnyRole(me, section.roles)) && allowed.length) navigate(allowed[0].path, true);
  }, [path, me]);

  const signOut = () => {
    onSignOut();
    navigate("/app/", true);
  };
  const Current = section && hasAnyRole(me, section.roles) ? section.component : null;

  return (
    <div class="bo-shell" data-agent-id={me.id}>
      <header class="bo-top">
        <span class="bo-brand">{t("app.name")}</span>
        <nav aria-label={t("app.nav.label")} class="bo-nav">
          {allowed.map((s) => (
            <a href={s.path} class={section?.id === s.id ? "active" : ""} aria-current={section?.id === s.id ? "page" : undefined}
               data-section={s.id}
               onClick={(e) => { e.preventDefault(); navigate(s.path); }}>{t(s.label)}</a>
          ))}
        </nav>
        <span class="bo-me">
          <span id="who">{me.display_name}</span>
          <span class="bo-roles">{rolesOf(me).map((r) => t(`app.role.${r}` as any)).join(" · ")}</span>
          <LocalePicker locale={locale} setLocale={setLocale} />
          <button type="button" class="fb-btn quiet bo-signout" onClick={signOut}>{t("app.signout")}</button>
        </span>
      </header>
      <main class="bo-main" id="main">
        {Current ? <Current section={section!} me={me} auth={auth} path={path} onAccountChange={onAccountChange}
                            onSignedOut={onSignOut} />
          : <p class="fb-empty">{allowed.length ? t("common.loading") : t("app.forbidden")}</p>}
      </main>
    </div>
  );
}
