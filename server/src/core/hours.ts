// Business hours per site: weekly opening times in the site's time zone, plus holidays. Outside
// them the bot still answers, but a handoff becomes the offline form, and the widget can say when
// the team is back.

import type { BusinessHours, Weekday } from '@servus/shared';

export type { BusinessHours, Weekday };
const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const INTERVAL = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/** Problems with a business-hours setting, for validation messages; empty when it is fine. */
export function validateBusinessHours(hours: BusinessHours): string[] {
  const problems: string[] = [];
  try {
    new Intl.DateTimeFormat('en', { timeZone: hours.timeZone });
  } catch {
    problems.push(`timeZone: unknown time zone "${hours.timeZone}"`);
  }
  for (const [day, intervals] of Object.entries(hours.weekly)) {
    if (!WEEKDAYS.includes(day as Weekday)) problems.push(`weekly.${day}: not a weekday (mon … sun)`);
    for (const interval of intervals ?? []) {
      const m = INTERVAL.exec(interval);
      if (!m || Number(m[3]) * 60 + Number(m[4]) <= Number(m[1]) * 60 + Number(m[2]))
        problems.push(`weekly.${day}: "${interval}" is not HH:MM-HH:MM with the end after the start`);
    }
  }
  for (const date of hours.holidays ?? []) if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) problems.push(`holidays: "${date}" is not YYYY-MM-DD`);
  return problems;
}

interface Local {
  date: string;
  weekday: Weekday;
  minutes: number;
}

function local(at: number, timeZone: string): Local {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: String(parts.weekday).slice(0, 3).toLowerCase() as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

function openIntervals(hours: BusinessHours, l: Local): [number, number][] {
  if (hours.holidays?.includes(l.date)) return [];
  return (hours.weekly[l.weekday] ?? []).flatMap((i) => {
    const m = INTERVAL.exec(i);
    return m ? [[Number(m[1]) * 60 + Number(m[2]), Number(m[3]) * 60 + Number(m[4])] as [number, number]] : [];
  });
}

export function isOpen(hours: BusinessHours, at: number): boolean {
  const l = local(at, hours.timeZone);
  return openIntervals(hours, l).some(([from, to]) => l.minutes >= from && l.minutes < to);
}

/** Offset of the time zone at an instant, in ms (local wall time minus UTC). */
function offsetAt(at: number, timeZone: string): number {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(at / 1000) * 1000;
}

/** The instant of a local date and minute of day in a time zone (DST-aware). */
function instantOf(date: string, minutes: number, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, Math.floor(minutes / 60), minutes % 60);
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return t;
}

/** The next moment the team opens (epoch ms): now if open, else the next interval start within 14 days, else null. */
export function nextOpening(hours: BusinessHours, at: number): number | null {
  if (isOpen(hours, at)) return at;
  for (let day = 0; day <= 14; day++) {
    const l = local(at + day * 86_400_000, hours.timeZone);
    const starts = openIntervals(hours, l)
      .map(([from]) => instantOf(l.date, from, hours.timeZone))
      .filter((t) => t > at)
      .sort((a, b) => a - b);
    if (starts.length) return starts[0]!;
  }
  return null;
}

/**
 * The next moment the team opens or closes after `at` (epoch ms), within 14 days; null when the
 * hours never change (always closed). Waiting visitors are told their new state then.
 */
export function nextChange(hours: BusinessHours, at: number): number | null {
  const open = isOpen(hours, at);
  for (let day = 0; day <= 14; day++) {
    const l = local(at + day * 86_400_000, hours.timeZone);
    const edges = openIntervals(hours, l)
      .map(([from, to]) => instantOf(l.date, open ? to : from, hours.timeZone))
      .filter((t) => t > at)
      .sort((a, b) => a - b);
    // An interval ending at midnight may be followed by one starting at midnight: still open.
    for (const t of edges) if (isOpen(hours, t) !== open) return t;
  }
  return null;
}
