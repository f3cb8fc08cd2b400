// Small display helpers: relative times, durations, user agents, and the dashboard's numbers
// (durations read like a person says them, rates as percentages). Pure functions, tested beside.
import type { Lang } from './i18n.js';

export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${String(s % 60).padStart(2, '0')}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d`;
}

export function clock(at: number, lang: string): string {
  return new Date(at).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

export function relative(at: number, now: number, lang: string): string {
  const d = now - at;
  if (d < 60_000) return lang === 'de' ? 'jetzt' : 'now';
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min`;
  if (d < 86_400_000) return clock(at, lang);
  return new Date(at).toLocaleDateString(lang, { day: 'numeric', month: 'short' });
}

/** "Firefox 128 · Windows": enough for support, no UA library. */
export function describeUserAgent(ua: string | undefined): string {
  if (!ua) return '';
  const browser =
    /Edg\/(\d+)/.exec(ua)?.[1] !== undefined
      ? `Edge ${/Edg\/(\d+)/.exec(ua)![1]}`
      : /Firefox\/(\d+)/.test(ua)
        ? `Firefox ${/Firefox\/(\d+)/.exec(ua)![1]}`
        : /Chrome\/(\d+)/.test(ua)
          ? `Chrome ${/Chrome\/(\d+)/.exec(ua)![1]}`
          : /Version\/(\d+)[\d.]* (Mobile\/\S+ )?Safari/.test(ua)
            ? `Safari ${/Version\/(\d+)/.exec(ua)![1]}`
            : '';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Android/.test(ua)
          ? 'Android'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return [browser, os].filter(Boolean).join(' · ') || ua.slice(0, 80);
}

/** The visitor's local time now, from their IANA time zone. */
export function localTimeIn(timeZone: string | undefined, now: number, lang: string): string {
  if (!timeZone) return '';
  try {
    return new Date(now).toLocaleTimeString(lang, { timeZone, hour: '2-digit', minute: '2-digit' }) + ` (${timeZone})`;
  } catch {
    return '';
  }
}

/**
 * Expands `{{visitor.name}}`-style variables. `{{visitor.name|there}}` gives a fallback for when the
 * value is unknown (an anonymous visitor); without one, an unknown value or variable stays as
 * written, so the agent sees it (and the composer will not send it: `unresolvedVariable`).
 */
export function expandVariables(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\{\{\s*([a-z_]+(?:\.[a-z_]+)*)\s*(?:\|([^{}]*))?\}\}/gi, (whole, name: string, fallback?: string) => {
    const v = vars[name.toLowerCase()];
    return v !== undefined && v !== '' ? v : fallback !== undefined ? fallback.trim() : whole;
  });
}

/** The first `{{…}}` left in a reply, which must not reach a visitor; null when there is none. */
export function unresolvedVariable(text: string): string | null {
  return /\{\{[^{}]*\}\}/.exec(text)?.[0] ?? null;
}

/** Only http(s) links are clickable; anything else (javascript:, data:) is shown as text. */
export function safeHttpUrl(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * A one-line preview without Markdown markers. Bot answers are FAQ Markdown in the subset the
 * widget renders (widget/src/markdown.ts): list items, **bold**, *italic* / _italic_, [links](…).
 * List items become "a · b" so a list still reads as a list on one line.
 */
export function plainText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/^[ \t]*(?:[-*•]|\d{1,3}[.)])[ \t]+/gm, '· ')
    .replace(/\*\*([^*\n]+)\*\*/g, '$1')
    .replace(/\*(\S(?:[^*\n]*?\S)?)\*/g, '$1')
    .replace(/(?<!\w)_(\S(?:[^_\n]*?\S)?)_(?!\w)/g, '$1')
    .replace(/\[([^\]\n]+)\]\([^)\s]+\)/g, '$1')
    .replace(/\s+/g, ' ')
    .replace(/^· /, '')
    .trim();
}

// ---- the dashboard

const locale = (lang: Lang) => (lang === 'de' ? 'de-AT' : 'en-GB');
export const DASH = '–';

/** 42 s · 3 min 5 s · 12 min · 1 h 5 min. */
export function formatDuration(seconds: number | null | undefined, lang: Lang): string {
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
export function formatPercent(ratio: number | null | undefined, lang: Lang): string {
  if (ratio === null || ratio === undefined) return DASH;
  return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

export function formatNumber(n: number | null | undefined, lang: Lang, digits = 0): string {
  if (n === null || n === undefined) return DASH;
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);
}

/** NPS runs from −100 to 100 and shows its sign. */
export function formatNps(score: number | null | undefined, lang: Lang): string {
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
export function formatDay(day: string, lang: Lang): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!).toLocaleDateString(locale(lang), { day: 'numeric', month: 'short' });
}
