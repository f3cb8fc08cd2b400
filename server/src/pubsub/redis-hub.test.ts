// The Redis hub against a real Redis: two hubs stand for two instances. What one publishes reaches
// the other once and in order, news and frames in the order published; an instance's own listeners
// hear its messages once (at once, not again through Redis).
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../core/logger.js';
import { ErrorCode } from '@servus/shared';
import { ServusError } from '../core/errors.js';
import type { Hub, HubMessage } from './hub.js';
import { Redis } from 'ioredis';
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
      { topics: ['c:c1', 'v:v1'], message: { conversationId: 'c1', seq: 5, agent: frame, visitor: frame }, home: true },
      { to: 'me', request: { id: 7, method: 'agent.message', args: { text: 'a\nb' } } },
      { to: 'me', answer: { id: 7, ok: { type: 'ack', cid: 'x' } } },
      { to: 'me', answer: { id: 8, error: { code: 'CONFLICT', message: 'Another agent has this conversation.' } } },
    ];
    expect(encodeHubEntry(entries[0]!)).toContain(`\n${frame}\n`);
    expect(decodeHubBatch(batch(entries), () => true, 'me')).toEqual(entries);
  });

  it('skips the calls and answers addressed to another instance, unparsed', () => {
    const entries: HubEntry[] = [
      { to: 'other', request: { id: 1, method: 'agent.message', args: {} } },
      { to: 'me', request: { id: 2, method: 'agent.message', args: {} } },
      { to: 'other', answer: { id: 3, failed: 'x' } },
    ];
    const text = `abc\n${entries.map(encodeHubEntry).join('')}`.replace('{"id":1', '{not json');
    expect(decodeHubBatch(text, () => true, 'me')).toEqual([entries[1]]);
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

  it('learns which instance holds a conversation’s visitor, and calls it', async () => {
    const prefix = `hub-test-${randomBytes(6).toString('hex')}:`;
    const [a, b] = [await connected(prefix), await connected(prefix)];
    // The visitor's socket is on A, an agent's on B.
    const visitorOnA = a.subscribe('v:v1', () => {});
    const heard: HubMessage[] = [];
    await b.subscribe('c:c1', (m) => heard.push(m)).ready;
    expect(b.homeOf('c1')).toBeNull();
    a.publish(['c:c1', 'v:v1'], { conversationId: 'c1', seq: 1, agent: '{"n":1}', visitor: '{"n":1}' });
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(1);
    const home = b.homeOf('c1');
    expect(home).not.toBeNull();

    a.handle('double', async (args) => {
      const n = (args as { n: number }).n;
      if (n < 0) throw new ServusError(ErrorCode.BAD_FRAME, 'No negative numbers.', { path: 'n' });
      if (n === 0) throw new Error('broken');
      return { twice: n * 2 };
    });
    const call = (method: string, args: unknown) => b.call(home!, method, args, { timeoutMs: 10_000 });
    expect(await call('double', { n: 21 })).toEqual({ ok: { twice: 42 } });
    expect(await call('double', { n: -1 })).toEqual({
      error: { code: ErrorCode.BAD_FRAME, message: 'No negative numbers.', path: 'n' },
    });
    // It ran and broke: the error a client would get on one instance.
    expect(await call('double', { n: 0 })).toEqual({ error: { code: ErrorCode.INTERNAL, message: 'Internal error.' } });
    // It did not run there: the caller does the work itself.
    expect(await call('unknown', {})).toEqual({ failed: 'no handler for unknown' });
    // A call nobody answers fails once its time is up.
    await expect(b.call('0123456789ab', 'double', { n: 1 }, { timeoutMs: 50 })).rejects.toThrow(/did not answer/);

    // The visitor left A: A's next message in the conversation ends what B knew.
    visitorOnA();
    a.publish(['c:c1', 'v:v1'], { conversationId: 'c1', seq: 2, agent: '{"n":2}', visitor: '{"n":2}' });
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBe(2);
    expect(b.homeOf('c1')).toBeNull();
  });

  it('does not run a call whose predecessor from the same caller was lost, nor the calls after it', async () => {
    const prefix = `hub-test-${randomBytes(6).toString('hex')}:`;
    const a = await connected(prefix);
    const ran: number[] = [];
    a.handle('note', async (args) => {
      ran.push((args as { n: number }).n);
      return 'ok';
    });
    // A caller speaking the wire format by hand: its call 1 never reached A (published before A
    // subscribed, as in a Redis outage); 2 must follow 1, 3 must follow 2; 4 starts afresh.
    const answers = new Map<number, unknown>();
    const listener = new Redis(REDIS_URL);
    const publisher = new Redis(REDIS_URL);
    try {
      const heardAll = new Promise<void>((resolve) => {
        listener.on('message', (_channel: string, text: string) => {
          for (const line of text.split('\n'))
            if (line.startsWith('rcaller00000 ')) {
              const answer = JSON.parse(line.slice('rcaller00000 '.length)) as { id: number };
              answers.set(answer.id, answer);
              if (answers.size === 3) resolve();
            }
        });
      });
      await listener.subscribe(`${prefix}!hub`);
      // A's id, from the first line of its first batch: the caller addresses its calls with it.
      const aId = await new Promise<string>((resolve) => {
        listener.once('message', (_channel: string, text: string) => resolve(text.slice(0, text.indexOf('\n'))));
        a.broadcast('hello', 1);
      });
      const request = (id: number, after?: number) =>
        `q${aId} ${JSON.stringify({ id, method: 'note', args: { n: id }, ...(after === undefined ? {} : { after }) })}\n`;
      await publisher.publish(`${prefix}!hub`, `caller00000\n${request(2, 1)}${request(3, 2)}${request(4)}`);
      await heardAll;
    } finally {
      listener.disconnect();
      publisher.disconnect();
    }
    expect(answers.get(2)).toEqual({ id: 2, failed: 'a call before it did not run here' });
    expect(answers.get(3)).toEqual({ id: 3, failed: 'a call before it did not run here' });
    expect(answers.get(4)).toEqual({ id: 4, ok: 'ok' });
    expect(ran).toEqual([4]);
  });
});
