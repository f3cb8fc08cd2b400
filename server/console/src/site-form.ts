// The Website settings form's pure parts: the embed snippet, the stored settings as form values,
// and the form values as one PATCH body (empty optional text → null, so the default applies again).

import type { LauncherOffset, SiteView, Weekday } from '@servus/shared';
import type { FieldMap } from './field-errors.js';
export { DEFAULT_WIDGET_COLOR as DEFAULT_COLOR } from '@servus/shared';

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface SiteFormValues {
  name: string;
  color: string;
  position: string;
  defaultLang: string;
  titleDe: string;
  titleEn: string;
  greetingDe: string;
  greetingEn: string;
  botName: string;
  allowedOrigins: string;
  preChatEnabled: boolean;
  askName: boolean;
  askEmail: boolean;
  nps: boolean;
  ces: boolean;
  notifyEmails: string;
  serviceLevel: string;
  timeZone: string;
  days: Record<Weekday, string>;
  holidays: string;
  /** The launcher's offsets in px, as typed (empty: the default). */
  offset: Record<keyof LauncherOffset, string>;
}

export const OFFSET_FIELDS: readonly (keyof LauncherOffset)[] = ['x', 'y', 'mobileX', 'mobileY'];

/** Where the PATCH's paths are in the form, so a refused value is shown at its field (field-errors.ts). */
export const SITE_FIELDS: FieldMap = {
  name: 'name',
  'settings.color': { field: 'color', hint: 'hint_color' },
  'settings.position': 'position',
  'settings.defaultLang': 'defaultLang',
  'settings.title.de': 'titleDe',
  'settings.title.en': 'titleEn',
  'settings.greeting.de': 'greetingDe',
  'settings.greeting.en': 'greetingEn',
  'settings.botName': 'botName',
  'settings.allowedOrigins': { field: 'allowedOrigins', lines: true },
  'settings.notifyEmails': { field: 'notifyEmails', lines: true },
  'settings.serviceLevel': 'serviceLevel',
  'settings.preChatForm': 'preChatEnabled',
  'settings.ratings': 'nps',
  'settings.businessHours.timeZone': { field: 'timeZone', hint: 'hint_timeZone' },
  'settings.businessHours.holidays': { field: 'holidays', hint: 'hint_holiday', lines: true },
  ...Object.fromEntries(WEEKDAYS.map((d) => [`settings.businessHours.weekly.${d}`, { field: `day-${d}`, hint: 'hint_hours' as const }])),
  ...Object.fromEntries(OFFSET_FIELDS.map((k) => [`settings.launcherOffset.${k}`, `offset-${k}`])),
};

/** The add-a-website form's fields. */
export const NEW_SITE_FIELDS: FieldMap = { key: { field: 'key', hint: 'hint_siteKey' }, name: 'name' };

/** The tag docs/widget.md documents, for the server the console is served from. */
export function embedSnippet(origin: string, siteKey: string): string {
  return `<script src="${origin}/widget.js" data-site="${siteKey}" async></script>`;
}

export function formFromSite(site: SiteView): SiteFormValues {
  const s = site.settings;
  const hours = s.businessHours;
  return {
    name: site.name,
    color: s.color ?? '',
    position: s.position ?? 'right',
    defaultLang: s.defaultLang ?? 'de',
    titleDe: s.title?.de ?? '',
    titleEn: s.title?.en ?? '',
    greetingDe: s.greeting?.de ?? '',
    greetingEn: s.greeting?.en ?? '',
    botName: s.botName ?? '',
    allowedOrigins: (s.allowedOrigins ?? []).join('\n'),
    preChatEnabled: s.preChatForm?.enabled ?? false,
    askName: s.preChatForm?.fields.includes('name') ?? false,
    askEmail: s.preChatForm?.fields.includes('email') ?? false,
    nps: s.ratings?.nps ?? false,
    ces: s.ratings?.ces ?? false,
    notifyEmails: (s.notifyEmails ?? []).join('\n'),
    serviceLevel: s.serviceLevel ? String(s.serviceLevel.firstResponseSeconds) : '',
    timeZone: hours?.timeZone ?? '',
    days: Object.fromEntries(WEEKDAYS.map((d) => [d, (hours?.weekly[d] ?? []).join(', ')])) as Record<Weekday, string>,
    holidays: (hours?.holidays ?? []).join('\n'),
    offset: Object.fromEntries(OFFSET_FIELDS.map((k) => [k, String(s.launcherOffset?.[k] ?? '')])) as SiteFormValues['offset'],
  };
}

/** The form's fields by name (see the component's `name` attributes). */
export function readSiteForm(data: FormData): SiteFormValues {
  const text = (name: string) => String(data.get(name) ?? '');
  const on = (name: string) => data.get(name) !== null;
  return {
    name: text('name'),
    color: text('color'),
    position: text('position'),
    defaultLang: text('defaultLang'),
    titleDe: text('titleDe'),
    titleEn: text('titleEn'),
    greetingDe: text('greetingDe'),
    greetingEn: text('greetingEn'),
    botName: text('botName'),
    allowedOrigins: text('allowedOrigins'),
    preChatEnabled: on('preChatEnabled'),
    askName: on('askName'),
    askEmail: on('askEmail'),
    nps: on('nps'),
    ces: on('ces'),
    notifyEmails: text('notifyEmails'),
    serviceLevel: text('serviceLevel'),
    timeZone: text('timeZone'),
    days: Object.fromEntries(WEEKDAYS.map((d) => [d, text(`day-${d}`)])) as Record<Weekday, string>,
    holidays: text('holidays'),
    offset: Object.fromEntries(OFFSET_FIELDS.map((k) => [k, text(`offset-${k}`)])) as SiteFormValues['offset'],
  };
}

const lines = (value: string) =>
  value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
const orNull = (value: string) => value.trim() || null;

/** `{ de?, en? }` with the filled languages only; null when both are empty. */
function perLang(de: string, en: string): { de?: string; en?: string } | null {
  const out: { de?: string; en?: string } = {};
  if (de.trim()) out.de = de.trim();
  if (en.trim()) out.en = en.trim();
  return out.de || out.en ? out : null;
}

/** One PATCH body with every field the form shows; the server validates and names the field path. */
export function patchFromForm(v: SiteFormValues) {
  const origins = lines(v.allowedOrigins);
  const emails = lines(v.notifyEmails);
  const level = v.serviceLevel.trim();
  const weekly: Partial<Record<Weekday, string[]>> = {};
  for (const d of WEEKDAYS) {
    const intervals = v.days[d]
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean);
    if (intervals.length) weekly[d] = intervals;
  }
  const holidays = lines(v.holidays);
  const timeZone = v.timeZone.trim();
  // No time zone, no days, no holidays: the site has no business hours.
  const noHours = !timeZone && Object.keys(weekly).length === 0 && holidays.length === 0;
  // Whole numbers go as numbers; anything else as typed, so the server names the field.
  const offset: Record<string, number | string> = {};
  for (const k of OFFSET_FIELDS) {
    const value = v.offset[k].trim();
    if (value) offset[k] = /^\d+$/.test(value) ? Number(value) : value;
  }
  return {
    name: v.name.trim(),
    settings: {
      color: orNull(v.color),
      position: v.position,
      defaultLang: v.defaultLang,
      title: perLang(v.titleDe, v.titleEn),
      greeting: perLang(v.greetingDe, v.greetingEn),
      botName: orNull(v.botName),
      allowedOrigins: origins.length ? origins : null,
      preChatForm: {
        enabled: v.preChatEnabled,
        fields: [...(v.askName ? ['name' as const] : []), ...(v.askEmail ? ['email' as const] : [])],
      },
      ratings: { nps: v.nps, ces: v.ces },
      notifyEmails: emails.length ? emails : null,
      // A whole number goes as a number; anything else as typed, so the server names the field.
      serviceLevel: level ? { firstResponseSeconds: /^\d+$/.test(level) ? Number(level) : level } : null,
      businessHours: noHours ? null : { timeZone, weekly, ...(holidays.length ? { holidays } : {}) },
      launcherOffset: Object.keys(offset).length ? offset : null,
    },
  };
}
