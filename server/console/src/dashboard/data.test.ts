// Periods of local days: presets end today, custom ranges are validated, every day gets a point.
import { describe, expect, it } from 'vitest';
import { MAX_CUSTOM_DAYS, customPeriod, dayKey, daysOf, metricsUrl, presetPeriod } from './data.js';

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
