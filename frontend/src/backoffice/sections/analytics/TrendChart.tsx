// A small hand-drawn SVG chart of one figure per day: bars for counts, a line with points for the rest, and the
// supervisor's target and warning levels as dashed lines. Sized in CSS pixels (no scaling of the text), so it
// stays readable on a phone; the numbers are in the daily table too.
import { useI18n } from "../../../i18n";
import { formatValue, type Unit } from "./format";

export interface Series { day: string; value: number | null }

const W = 360, H = 190, LEFT = 52, RIGHT = 10, TOP = 12, BOTTOM = 28;

export function TrendChart({ title, series, unit, target, warning }: {
  title: string; series: Series[]; unit: Unit; target?: number | null; warning?: number | null;
}) {
  const { t } = useI18n();
  const values = series.map((s) => s.value).filter((v): v is number => v !== null);
  const levels = [target, warning].filter((v): v is number => v !== null && v !== undefined);
  let max = Math.max(0, ...values, ...levels);
  if (unit === "ratio") max = Math.max(max, 0.0001) > 0.5 ? 1 : Math.min(1, niceCeil(max));
  else if (unit === "score") max = 5;
  else max = niceCeil(max || 1);
  const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
  const n = Math.max(series.length, 1);
  const step = plotW / n;
  const x = (i: number) => LEFT + step * i + step / 2;
  const y = (v: number) => TOP + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const labelled = series.length <= 3 ? series.map((_, i) => i)
    : [0, Math.floor((series.length - 1) / 2), series.length - 1];
  const last = [...series].reverse().find((s) => s.value !== null);
  const summary = t("app.analytics.chart_summary", {
    title, days: series.length, latest: last ? formatValue(last.value, unit, t) : t("app.analytics.none"),
  });
  const points = series.map((s, i) => (s.value === null ? null : [x(i), y(s.value)] as const));
  const path = points.reduce((d, p, i) => {
    if (!p) return d;
    const move = i === 0 || !points[i - 1];
    return d + (move ? "M" : "L") + p[0].toFixed(1) + " " + p[1].toFixed(1) + " ";
  }, "");
  return (
    <figure class="an-chart fb-card">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={summary}>
        {ticks.map((v) => (
          <g key={v}>
            <line x1={LEFT} x2={W - RIGHT} y1={y(v)} y2={y(v)} class="an-grid" />
            <text x={LEFT - 6} y={y(v) + 4} class="an-axis" text-anchor="end">{formatValue(v, unit, t)}</text>
          </g>
        ))}
        {unit === "count"
          ? series.map((s, i) => s.value ? (
              <rect key={s.day} x={x(i) - Math.min(step * 0.35, 14)} width={Math.min(step * 0.7, 28)}
                    y={y(s.value)} height={TOP + plotH - y(s.value)} class="an-bar" />) : null)
          : <path d={path} class="an-line" />}
        {unit !== "count" && points.map((p, i) => p ? <circle key={i} cx={p[0]} cy={p[1]} r={series.length > 40 ? 1.5 : 3.5} class="an-point" /> : null)}
        {target !== null && target !== undefined && <line x1={LEFT} x2={W - RIGHT} y1={y(target)} y2={y(target)} class="an-target" />}
        {warning !== null && warning !== undefined && <line x1={LEFT} x2={W - RIGHT} y1={y(warning)} y2={y(warning)} class="an-warning" />}
        {labelled.map((i) => (
          <text key={i} x={x(i)} y={H - 8} class="an-axis" text-anchor="middle">{series[i].day.slice(5)}</text>
        ))}
      </svg>
      {(target !== null && target !== undefined) && (
        <p class="an-legend">
          <span class="an-key target" aria-hidden="true" /> {t("app.analytics.target")}: {formatValue(target, unit, t)}
          {warning !== null && warning !== undefined && <>{"  "}<span class="an-key warning" aria-hidden="true" /> {t("app.analytics.warning")}: {formatValue(warning, unit, t)}</>}
        </p>
      )}
    </figure>
  );
}

function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= v) return m * power;
  return 10 * power;
}
