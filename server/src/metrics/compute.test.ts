// Every metric on a small fixture whose values are worked out by hand below.
import { describe, expect, it } from 'vitest';
import { conversationFacts, distributions, groupFacts, summarize, type MetricConversation, type MetricEvent } from './compute.js';

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0); // Monday 2 November 2026, 09:00 UTC
const s = (n: number) => T0 + n * 1000;
let seq = 0;
const msg = (authorType: MetricEvent['authorType'], at: number, authorId: string | null = null): MetricEvent => ({
  seq: ++seq,
  kind: 'message',
  authorType,
  authorId,
  at,
  data: null,
});
const status = (change: string, at: number, extra: Partial<NonNullable<MetricEvent['data']>> = {}): MetricEvent => ({
  seq: ++seq,
  kind: 'status',
  authorType: 'system',
  authorId: null,
  at,
  data: { change, ...extra },
});
const rating = (at: number, r: { csat?: number; nps?: number; ces?: number }): MetricEvent => ({
  seq: ++seq,
  kind: 'rating',
  authorType: 'visitor',
  authorId: null,
  at,
  data: { change: 'rated', rating: r },
});
const conv = (id: string, lang: string, events: MetricEvent[]): MetricConversation => ({
  id,
  siteKey: 'demo',
  lang,
  createdAt: events[0]!.at,
  events,
});

// A: bot answers, visitor happy: contained, never resolved.           FRT(any) 2 s
// B: handed off (visitor_request) at 10 s, assigned to anna at 40 s, anna replies at 70 s,
//    resolved at 370 s, csat 5, nps 10, ces 2.                        FRT(any) 1 s, wait 30 s, human FRT 60 s, handling 330 s
// C: handed off (low_confidence) at 5 s, assigned to ben at 125 s, ben replies at 185 s,
//    resolved at 305 s, reopened a day later, csat 2, nps 6.         FRT(any) 1 s, wait 120 s, human FRT 180 s, handling 180 s
// D: bot only, csat 1 (bad rating): not contained.                    FRT(any) 3 s
// E: the visitor never wrote (opened, left).
const fixture = [
  conv('A', 'de', [msg('visitor', s(0)), msg('bot', s(2))]),
  conv('B', 'en', [
    msg('visitor', s(0)),
    msg('bot', s(1)),
    status('handoff', s(10), { reason: 'visitor_request' }),
    status('assigned', s(40), { assignee: { id: 'anna' } }),
    msg('agent', s(70), 'anna'),
    status('resolved', s(370)),
    rating(s(380), { csat: 5, nps: 10, ces: 2 }),
  ]),
  conv('C', 'de', [
    msg('visitor', s(0)),
    msg('bot', s(1)),
    status('handoff', s(5), { reason: 'low_confidence' }),
    status('assigned', s(125), { assignee: { id: 'ben' } }),
    msg('agent', s(185), 'ben'),
    status('resolved', s(305)),
    rating(s(310), { csat: 2, nps: 6 }),
    status('reopened', s(305 + 86_400)),
  ]),
  conv('D', 'de', [msg('visitor', s(0)), msg('bot', s(3)), rating(s(20), { csat: 1, ces: 6 })]),
  conv('E', 'en', [status('created', s(0))]),
];

describe('service metrics', () => {
  const facts = fixture.map((c) => conversationFacts(c));
  const summary = summarize(facts, { firstResponseSeconds: 60 });

  it('counts conversations, handoffs, containment and resolution', () => {
    expect(summary.conversations).toBe(5);
    expect(summary.engaged).toBe(4); // A B C D
    expect(summary.handoffs).toBe(2); // B C
    expect(summary.handoffRate).toBe(0.5); // 2 / 4
    expect(summary.handoffReasons).toEqual({ visitor_request: 1, low_confidence: 1 });
    expect(summary.botContainment).toBe(0.25); // A only (D was rated 1): 1 / 4
    expect(summary.resolved).toBe(2);
    expect(summary.resolutionRate).toBe(0.4); // 2 / 5
    expect(summary.firstContactResolution).toBe(0.5); // C was reopened within 7 days
  });

  it('measures response, wait and handling times', () => {
    expect(summary.firstResponseSeconds).toEqual({ count: 4, average: 1.75, median: 1, p90: 3 }); // 2, 1, 1, 3
    expect(summary.firstHumanResponseSeconds).toEqual({ count: 2, average: 120, median: 60, p90: 180 }); // 60, 180
    expect(summary.waitSeconds).toEqual({ count: 2, average: 75, median: 30, p90: 120 }); // 30, 120
    expect(summary.handlingSeconds).toEqual({ count: 2, average: 255, median: 180, p90: 330 }); // 330, 180
    expect(summary.serviceLevel).toEqual({ target: 60, targets: { demo: 60 }, measured: 2, met: 1, share: 0.5 }); // 60 ≤ 60, 180 > 60
  });

  it('scores CSAT, NPS and CES', () => {
    expect(summary.csat).toEqual({ count: 3, average: 2.667, satisfiedShare: 0.333 }); // 5, 2, 1
    expect(summary.nps).toEqual({ count: 2, score: 0, promoters: 1, passives: 0, detractors: 1 }); // 10, 6 → 50 % − 50 %
    expect(summary.ces).toEqual({ count: 2, average: 4 }); // 2, 6
  });

  it('groups by agent, language and local day', () => {
    const created = new Map(fixture.map((c) => [c.id, c.createdAt]));
    expect([...groupFacts(facts, 'agent', created).entries()].map(([k, v]) => [k, v.length])).toEqual([
      ['anna', 1],
      ['ben', 1],
      ['none', 3],
    ]);
    expect([...groupFacts(facts, 'lang', created).keys()]).toEqual(['de', 'en']);
    expect([...groupFacts(facts, 'hour', created, 'Europe/Vienna').keys()]).toEqual(['10']); // 09:00 UTC = 10:00 in Vienna
    expect([...groupFacts(facts, 'day', created, 'Europe/Vienna').keys()]).toEqual(['2026-11-02']);
    // Around local midnight and in a zone 5:45 ahead of UTC (Kathmandu): 18:14:59 UTC is 23:59:59, 18:15 the next day.
    const edge = new Map([
      ['A', Date.UTC(2026, 10, 2, 18, 14, 59)],
      ['B', Date.UTC(2026, 10, 2, 18, 15, 0)],
      ['C', Date.UTC(2026, 10, 2, 18, 29, 59)],
    ]);
    const kathmandu = (by: 'day' | 'hour') =>
      [...groupFacts(facts.slice(0, 3), by, edge, 'Asia/Kathmandu').entries()].map(([k, v]) => [k, v.map((f) => f.id)]);
    expect(kathmandu('day')).toEqual([
      ['2026-11-02', ['A']],
      ['2026-11-03', ['B', 'C']],
    ]);
    expect(kathmandu('hour')).toEqual([
      ['00', ['B', 'C']],
      ['23', ['A']],
    ]);
  });

  it('measures each site against its own service-level target', () => {
    // C moves to site "shop", whose target is 200 s: B (60 s ≤ 60 s on demo) and C (180 s ≤ 200 s) both meet theirs.
    const mixed = facts.map((f) => (f.id === 'C' ? { ...f, siteKey: 'shop' } : f));
    expect(summarize(mixed, { firstResponseSeconds: 60, bySite: { shop: 200 } }).serviceLevel).toEqual({
      target: null, // the two sites' targets differ
      targets: { demo: 60, shop: 200 },
      measured: 2,
      met: 2,
      share: 1,
    });
    // With no handed-off conversation there is nothing to measure; the default target is reported.
    expect(
      summarize(
        facts.filter((f) => f.handoffAt === null),
        { firstResponseSeconds: 60 },
      ).serviceLevel,
    ).toEqual({
      target: 60,
      targets: {},
      measured: 0,
      met: 0,
      share: null,
    });
    const created = new Map(fixture.map((c) => [c.id, c.createdAt]));
    expect([...groupFacts(mixed, 'site', created).entries()].map(([k, v]) => [k, v.map((f) => f.id)])).toEqual([
      ['demo', ['A', 'B', 'D', 'E']],
      ['shop', ['C']],
    ]);
  });

  it('shows the distributions behind the averages', () => {
    // Buckets: ≤5, ≤15, ≤30, ≤60, ≤120, ≤300, ≤600, ≤1800, ≤3600, more.
    const d = distributions(facts);
    expect(d.firstResponseSeconds.bounds).toEqual([5, 15, 30, 60, 120, 300, 600, 1800, 3600]);
    expect(d.firstResponseSeconds.counts).toEqual([4, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // 2, 1, 1, 3
    expect(d.firstHumanResponseSeconds.counts).toEqual([0, 0, 0, 1, 0, 1, 0, 0, 0, 0]); // 60 → ≤60, 180 → ≤300
    expect(d.waitSeconds.counts).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 0]); // 30 → ≤30, 120 → ≤120
    expect(d.handlingSeconds.counts).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]); // 180 → ≤300, 330 → ≤600
    expect(d.csat).toEqual([1, 1, 0, 0, 1]); // 1, 2, 5
    expect(d.nps).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]); // 6, 10
    expect(d.ces).toEqual([0, 1, 0, 0, 0, 1, 0]); // 2, 6
    // A slow answer lands in the last bucket.
    const slow = conversationFacts(conv('F', 'de', [msg('visitor', s(0)), msg('bot', s(4000))]));
    expect(distributions([slow]).firstResponseSeconds.counts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
});
