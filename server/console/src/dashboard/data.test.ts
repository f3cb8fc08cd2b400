// Periods of local days: presets end today, custom ranges are validated, every day gets a point.
import { describe, expect, it } from 'vitest';
import { MAX_CUSTOM_DAYS, customPeriod, dayKey, daysOf, metricsUrl, presetPeriod } from './data.js';
import { bucketLabel, formatDuration, formatPercent, formatShortDuration } from './format.js';

describe('dashboard periods', () => {
  it('makes a preset of the last N local days, today included', () => {
    const now = new Date(2026, 10, 24, 15, 30); // 24 Nov 2026, 15:30 local
    const p = presetPeriod(7, now);
    expect([p.fromDate, p.toDate]).toEqual(['2026-11-18', '2026-11-24']);
    expect(p.from).toBe(new Date(2026, 10, 18).getTime());
    expect(p.to).toBe(new Date(2026, 10, 25).getTime()); // exclusive: midnight after today
    expect(daysOf(p).map((d) => d.key)).toEqual([
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22',
      '2026-11-23',
      '2026-11-24',
    ]);
    expect(daysOf(presetPeriod(90, now))).toHaveLength(90);
  });

  it('accepts a custom range of real dates in order, at most a year and a day', () => {
    const p = customPeriod('2026-03-28', '2026-03-30'); // over the European DST change
    expect(p && daysOf(p).map((d) => d.key)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(customPeriod('2026-11-10', '2026-11-09')).toBeNull();
    expect(customPeriod('2026-02-30', '2026-03-01')).toBeNull();
    expect(customPeriod('', '2026-03-01')).toBeNull();
    const start = new Date(2025, 0, 1);
    const last = new Date(2025, 0, MAX_CUSTOM_DAYS);
    expect(customPeriod(dayKey(start), dayKey(last))).not.toBeNull();
    expect(customPeriod(dayKey(start), dayKey(new Date(2025, 0, MAX_CUSTOM_DAYS + 1)))).toBeNull();
  });

  it('asks the REST endpoint for the period, site and time zone', () => {
    const period = customPeriod('2026-11-01', '2026-11-02')!;
    const url = new URL(metricsUrl({ period, site: 'demo', timeZone: 'Europe/Vienna' }, { groupBy: ['day'], format: 'csv' }), 'http://x');
    expect(url.pathname).toBe('/api/metrics');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: String(period.from),
      to: String(period.to),
      timeZone: 'Europe/Vienna',
      site: 'demo',
      groupBy: 'day',
      format: 'csv',
    });
  });
});

describe('dashboard formats', () => {
  it('says durations the way people do', () => {
    expect(formatDuration(42, 'en')).toBe('42 s');
    expect(formatDuration(185, 'en')).toBe('3 min 5 s');
    expect(formatDuration(120, 'en')).toBe('2 min');
    expect(formatDuration(1500, 'en')).toBe('25 min');
    expect(formatDuration(3900, 'en')).toBe('1 h 5 min');
    expect(formatDuration(null, 'en')).toBe('–');
    expect(formatShortDuration(90)).toBe('1m30s');
    expect(bucketLabel([5, 60, 3600], 1)).toBe('≤1m');
    expect(bucketLabel([5, 60, 3600], 3)).toBe('>1h');
  });

  it('writes rates as percentages in the reader’s language', () => {
    expect(formatPercent(0.4567, 'en')).toBe('45.7%');
    expect(formatPercent(0.4567, 'de').replace(/\s/g, ' ')).toBe('45,7 %');
    expect(formatPercent(null, 'de')).toBe('–');
  });
});
