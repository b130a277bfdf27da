// How the dashboard writes its figures (the browser test reads them back with the same rules).
import type { T } from "../../../i18n";

export type Unit = "count" | "ratio" | "score" | "seconds";

export function formatValue(value: number | null | undefined, unit: Unit, t: T): string {
  if (value === null || value === undefined) return t("app.analytics.none");
  switch (unit) {
    case "ratio": return (value * 100).toFixed(1) + "%";
    case "score": return value.toFixed(2);
    case "seconds": return formatSeconds(value);
    default: return String(Math.round(value));
  }
}

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
  return Math.floor(s / 3600) + "h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
}

/** A target typed by the supervisor (percent for ratios, seconds for times) → the API's unit, and back. */
export function toApi(input: number, unit: Unit): number {
  return unit === "ratio" ? input / 100 : input;
}
export function fromApi(value: number, unit: Unit): number {
  return unit === "ratio" ? Math.round(value * 1000) / 10 : value;
}

/** RFC 4180 CSV; text cells that a spreadsheet would run as a formula get a leading apostrophe. */
export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => {
    if (v === null || v === undefined) return "";
    let s = String(v);
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

export function download(filename: string, csv: string): void {
  const url = URL.createObjectURL(new Blob(["\ufeff" + csv], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
