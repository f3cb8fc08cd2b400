// Number formats for the dashboard: durations read like a person says them, rates as percentages.
import type { DashboardLang } from './i18n.js';

const locale = (lang: DashboardLang) => (lang === 'de' ? 'de-AT' : 'en-GB');
export const DASH = '–';

/** 42 s · 3 min 5 s · 12 min · 1 h 5 min. */
export function formatDuration(seconds: number | null | undefined, lang: DashboardLang): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  const s = Math.round(seconds);
  const num = (n: number) => n.toLocaleString(locale(lang));
  if (s < 60) return `${num(s)} s`;
  if (s < 600) return s % 60 ? `${num(Math.floor(s / 60))} min ${num(s % 60)} s` : `${num(s / 60)} min`;
  if (s < 3600) return `${num(Math.round(s / 60))} min`;
  const m = Math.round((s % 3600) / 60);
  return m ? `${num(Math.floor(s / 3600))} h ${num(m)} min` : `${num(Math.floor(s / 3600))} h`;
}

/** 0.4567 → 45,7 % (de) / 45.7% (en). */
export function formatPercent(ratio: number | null | undefined, lang: DashboardLang): string {
  if (ratio === null || ratio === undefined) return DASH;
  return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

export function formatNumber(n: number | null | undefined, lang: DashboardLang, digits = 0): string {
  if (n === null || n === undefined) return DASH;
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}

/** NPS runs from −100 to 100 and shows its sign. */
export function formatNps(score: number | null | undefined, lang: DashboardLang): string {
  if (score === null || score === undefined) return DASH;
  return new Intl.NumberFormat(locale(lang), { signDisplay: 'exceptZero' }).format(score);
}

/** A short duration for axis ticks and bucket labels: 30s · 2m · 1h · 1h30m. */
export function formatShortDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s / 60}m`;
  const m = Math.round((s % 3600) / 60);
  return m ? `${Math.floor(s / 3600)}h${m}m` : `${s / 3600}h`;
}

/** A histogram bucket's label: its upper bound, or "> last" for the overflow bucket. */
export function bucketLabel(bounds: number[], index: number): string {
  if (index < bounds.length) return `≤${formatShortDuration(bounds[index]!)}`;
  return `>${formatShortDuration(bounds.at(-1)!)}`;
}

/** A local day key (YYYY-MM-DD) as the reader writes dates. */
export function formatDay(day: string, lang: DashboardLang): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!).toLocaleDateString(locale(lang), { day: 'numeric', month: 'short' });
}
