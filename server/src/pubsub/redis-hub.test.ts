// The Redis hub against a real Redis: two hubs stand for two instances. What one publishes reaches
// the other once and in order, news and frames in the order published; an instance's own listeners
// hear its messages once (at once, not again through Redis).
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../core/logger.js';
import type { Hub } from './hub.js';
import { createRedisHub, decodeHubBatch, encodeHubEntry, PUBLISH_BATCH, type HubEntry } from './redis-hub.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('hub batches on the wire', () => {
  const batch = (entries: HubEntry[]) => `abc\n${entries.map(encodeHubEntry).join('')}`;

  it('carries frames as they are, and anything else a frame may be exactly', () => {
    const frame = JSON.stringify({ type: 'message.created', conversationId: 'c1', seq: 3, message: { text: 'Grüß Gott\n"zwei"\u2028' } });
    const entries: HubEntry[] = [
      { topics: ['c:c1', 'v:v1'], message: { conversationId: 'c1', seq: 3, visitorSeq: 2, agent: frame, visitor: frame, origin: 's1' } },
      { channel: 'presence', data: { op: 'set', text: 'a\nb' } },
      { topics: ['c:c1'], message: { conversationId: 'c1', seq: 4, visitorSeq: null, agent: frame, visitor: null } },
      { topics: ['v:v1'], message: { conversationId: 'c1', agent: null, visitor: '{"type":"typing"}' } },
      { topics: ['c:c1'], message: { conversationId: 'c1', agent: 'line one\nline two', visitor: '"quoted"' } },
      { topics: ['c:c1'], message: { conversationId: 'c1', agent: '', visitor: '{\n}' } },
    ];
    expect(encodeHubEntry(entries[0]!)).toContain(`\n${frame}\n`);
    expect(decodeHubBatch(batch(entries), () => true)).toEqual(entries);
  });

  it('skips the messages for topics nobody here follows, and keeps the news', () => {
    const entries: HubEntry[] = [
      { topics: ['c:1'], message: { conversationId: '1', seq: 1, agent: '{"a":1}', visitor: null } },
      { channel: 'sites', data: { key: 'demo' } },
      { topics: ['c:2', 'v:2'], message: { conversationId: '2', seq: 1, agent: '{"a":2}', visitor: '{"v":2}' } },
    ];
    expect(decodeHubBatch(batch(entries), (topics) => topics.includes('v:2'))).toEqual(entries.slice(1));
  });
});

describe('two hubs on one Redis', () => {
  const hubs: Hub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });

  /** A hub that has connected and subscribed (its first resync). */
  async function connected(prefix: string): Promise<Hub> {
    const hub = createRedisHub(REDIS_URL, createLogger('silent'), { prefix });
    hubs.push(hub);
    await new Promise<void>((resolve) => hub.onResync(resolve));
    return hub;
  }

  it('delivers every message once and in order on both, news in between in the order published', async () => {
    const prefix = `hub-test-${randomBytes(6).toString('hex')}:`;
    const [a, b] = [await connected(prefix), await connected(prefix)];
    const heardOn = (hub: Hub) => {
      const heard: string[] = [];
      const sub = hub.subscribe('c:1', (m) => heard.push(m.agent!));
      hub.onBroadcast('news', (data) => heard.push(`news ${String(data)}`));
      return { heard, ready: sub.ready };
    };
    const onA = heardOn(a);
    const onB = heardOn(b);
    await Promise.all([onA.ready, onB.ready]);
    const turn = PUBLISH_BATCH + 50;
    const frameOf = (i: number) => JSON.stringify({ type: 'message.created', seq: i });
    const lastArrived = new Promise<void>((resolve) => b.subscribe('c:1', (m) => m.agent === frameOf(turn + 10) && resolve()));
    const expected: string[] = [];
    const publish = (i: number) => {
      const agent = frameOf(i);
      expected.push(agent);
      a.publish(['c:1'], { conversationId: '1', seq: i, agent, visitor: null });
    };
    // More than one PUBLISH's worth in one turn of the event loop, news in the middle, then a later turn.
    for (let i = 1; i <= turn; i++) {
      publish(i);
      if (i === 100) {
        a.broadcast('news', 'x');
        expected.push('news x');
      }
    }
    await new Promise((r) => setImmediate(r));
    for (let i = turn + 1; i <= turn + 10; i++) publish(i);
    await lastArrived;
    expect(onB.heard).toEqual(expected);
    // A's listener heard each once, at once: its own copies from Redis were dropped.
    expect(onA.heard).toEqual(expected);
  });
});
