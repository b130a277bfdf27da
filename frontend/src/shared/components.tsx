// A few components every part of the UI shares.
import type { ComponentChildren, JSX } from "preact";

export function initials(name: string | null | undefined): string {
  const parts = (name || "?").trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return "?";
  if (/[\u3400-\u9fff]/.test(parts[0])) return parts[0].slice(-2);   // Chinese names: the given name
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

export function Avatar({ name, kind = "agent" }: { name: string | null | undefined; kind?: "agent" | "bot" }) {
  return <span class={"fb-avatar " + kind} aria-hidden="true">{kind === "bot" ? "🤖" : initials(name)}</span>;
}

export function Button(props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "danger" | "quiet" }) {
  const { variant, class: cls, type, ...rest } = props as any;
  return <button type={type || "button"} class={["fb-btn", variant, cls].filter(Boolean).join(" ")} {...rest} />;
}

export function Tag({ tone, children, title }: { tone?: "warn" | "ok" | "danger" | "strong" | "info"; children: ComponentChildren; title?: string }) {
  return <span class={"fb-tag" + (tone ? " " + tone : "")} title={title}>{children}</span>;
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return <label class="fb-field"><span>{label}</span>{children}</label>;
}

export function formatTime(iso: string | undefined, locale: string): string {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

export function formatDateTime(iso: string | undefined, locale: string): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString(locale, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}
