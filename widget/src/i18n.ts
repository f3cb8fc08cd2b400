// Language: strings live in one chunk per language (a visitor downloads only theirs); dates and
// times are formatted with Intl in the visitor's language.
import type { Lang } from './public-api.js';
import type { Strings } from './strings-en.js';

export type { Strings };

/** Loads one language's strings (a separate chunk in the build). */
export const loadStrings = (lang: Lang): Promise<Strings> =>
  (lang === 'de' ? import('./strings-de.js') : import('./strings-en.js')).then((m) => m.default);

const locale = (lang: Lang) => (lang === 'de' ? 'de-AT' : 'en-GB');
const day = (t: number) => new Date(t).toDateString();

export function formatTime(at: number, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { hour: '2-digit', minute: '2-digit' }).format(at);
}

/** "Today", "Yesterday" or a localised date, for day separators. */
export function formatDay(at: number, lang: Lang, s: Pick<Strings, 'today' | 'yesterday'>, now = Date.now()): string {
  if (day(at) === day(now)) return s.today;
  if (day(at) === day(now - 86_400_000)) return s.yesterday;
  return new Intl.DateTimeFormat(locale(lang), { weekday: 'long', day: 'numeric', month: 'long' }).format(at);
}

/** When the team is back: a time today, or a weekday and time. */
export function formatOpening(at: number, lang: Lang, now = Date.now()): string {
  const time = formatTime(at, lang);
  if (day(at) === day(now)) return (lang === 'de' ? 'ab ' : 'at ') + time;
  const wd = new Intl.DateTimeFormat(locale(lang), { weekday: 'long' }).format(at);
  return lang === 'de' ? `am ${wd} ab ${time}` : `on ${wd} at ${time}`;
}
