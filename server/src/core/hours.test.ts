import { describe, expect, it } from 'vitest';
import { isOpen, nextChange, nextOpening, validateBusinessHours, type BusinessHours } from './hours.js';

const vienna: BusinessHours = {
  timeZone: 'Europe/Vienna',
  weekly: { mon: ['09:00-12:00', '13:00-17:30'], tue: ['09:00-17:30'], wed: ['09:00-17:30'], thu: ['09:00-17:30'], fri: ['09:00-15:00'] },
  holidays: ['2026-12-24'],
};
// Vienna is UTC+1 in winter and UTC+2 in summer.
const utc = (iso: string) => Date.parse(iso);

describe('business hours', () => {
  it('is open inside the local intervals and closed in the lunch break, at night and at weekends', () => {
    expect(isOpen(vienna, utc('2026-11-23T08:00:00Z'))).toBe(true); // Mon 09:00 local
    expect(isOpen(vienna, utc('2026-11-23T07:59:00Z'))).toBe(false); // Mon 08:59
    expect(isOpen(vienna, utc('2026-11-23T11:30:00Z'))).toBe(false); // Mon 12:30, lunch
    expect(isOpen(vienna, utc('2026-11-23T16:29:00Z'))).toBe(true); // Mon 17:29
    expect(isOpen(vienna, utc('2026-11-23T16:30:00Z'))).toBe(false); // Mon 17:30, end is exclusive
    expect(isOpen(vienna, utc('2026-11-28T10:00:00Z'))).toBe(false); // Saturday
  });

  it('follows daylight saving time', () => {
    expect(isOpen(vienna, utc('2026-07-06T07:00:00Z'))).toBe(true); // Mon 09:00 CEST
    expect(isOpen(vienna, utc('2026-07-06T06:59:00Z'))).toBe(false);
  });

  it('is closed on holidays', () => {
    expect(isOpen(vienna, utc('2026-12-24T10:00:00Z'))).toBe(false); // Thursday, Christmas Eve
    expect(isOpen(vienna, utc('2026-12-23T10:00:00Z'))).toBe(true);
  });

  it('says when the team is back', () => {
    // Friday 16:00 local → Monday 09:00 local (08:00 UTC).
    expect(new Date(nextOpening(vienna, utc('2026-11-27T15:00:00Z'))!).toISOString()).toBe('2026-11-30T08:00:00.000Z');
    // Monday lunch 12:10 → 13:00 local.
    expect(new Date(nextOpening(vienna, utc('2026-11-23T11:10:00Z'))!).toISOString()).toBe('2026-11-23T12:00:00.000Z');
    // Christmas Eve (Thursday) → Friday 09:00.
    expect(new Date(nextOpening(vienna, utc('2026-12-24T10:00:00Z'))!).toISOString()).toBe('2026-12-25T08:00:00.000Z');
    expect(nextOpening({ timeZone: 'UTC', weekly: {} }, Date.now())).toBeNull();
  });

  it('explains invalid settings', () => {
    expect(
      validateBusinessHours({
        timeZone: 'Mars/Base',
        weekly: { mon: ['17:00-09:00'], xyz: ['09:00-10:00'] } as BusinessHours['weekly'],
        holidays: ['24.12.'],
      }),
    ).toEqual([
      'timeZone: unknown time zone "Mars/Base"',
      'weekly.mon: "17:00-09:00" is not HH:MM-HH:MM with the end after the start',
      'weekly.xyz: not a weekday (mon … sun)',
      'holidays: "24.12." is not YYYY-MM-DD',
    ]);
    expect(validateBusinessHours(vienna)).toEqual([]);
  });
});

describe('nextChange', () => {
  const hours: BusinessHours = {
    timeZone: 'Europe/Vienna',
    weekly: { mon: ['09:00-12:00', '13:00-17:30'], tue: ['00:00-24:00'], wed: ['00:00-12:00'] },
  };
  it('finds when the team closes while open, and when it opens while closed', () => {
    expect(nextChange(hours, utc('2026-11-23T08:00:00Z'))).toBe(utc('2026-11-23T11:00:00Z')); // Mon 09:00 -> 12:00 local
    expect(nextChange(hours, utc('2026-11-23T11:30:00Z'))).toBe(utc('2026-11-23T12:00:00Z')); // lunch -> 13:00
    expect(nextChange(hours, utc('2026-11-23T16:40:00Z'))).toBe(utc('2026-11-23T23:00:00Z')); // 17:40 -> Tue 00:00
    // Tuesday all day runs on into Wednesday morning: the next change is Wed 12:00.
    expect(nextChange(hours, utc('2026-11-24T10:00:00Z'))).toBe(utc('2026-11-25T11:00:00Z'));
  });
  it('says null when the hours never change', () => {
    expect(nextChange({ timeZone: 'Europe/Vienna', weekly: {} }, utc('2026-11-23T08:00:00Z'))).toBeNull();
  });
});
