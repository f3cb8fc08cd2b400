// Small display helpers: relative times, durations, user agents. Pure functions, tested beside.
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

/** Expands `{{visitor.name}}`-style variables; unknown ones stay as written so the agent sees them. */
export function expandVariables(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\{\{\s*([a-z]+(?:\.[a-z]+)*)\s*\}\}/gi, (whole, name: string) => {
    const v = vars[name.toLowerCase()];
    return v !== undefined ? v : whole;
  });
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
