import { describe, expect, it } from 'vitest';
import type { AgentFrame, AgentWelcomeFrame, ConversationView, MessageCreatedFrame } from '@servus/shared';
import { FakeSocket, FakeWebSocket } from './fake-web-socket.test-helper.js';
import { createLiveSocket } from './socket.js';
import { createLiveStore } from './store.js';

const view = (id: string, over: Partial<ConversationView> = {}): ConversationView => ({
  id,
  siteKey: 'demo',
  status: 'queued',
  lastSeq: 3,
  assignee: null,
  queue: null,
  readSeq: 0,
  createdAt: 1,
  updatedAt: 10,
  queuedAt: 5,
  ...over,
});

const welcome: AgentWelcomeFrame = {
  type: 'welcome',
  role: 'agent',
  protocol: 1,
  serverTime: 0,
  limits: { maxMessageChars: 4000, maxFrameBytes: 65_536, visitorMessagesPerWindow: 20, rateWindowMs: 10_000 },
  agent: { id: 'a1', name: 'Ann', email: 'a@x', role: 'agent', siteKeys: ['demo'], status: 'online', initials: null, lang: null },
};

/** The store on a live socket whose server the test plays (commands are settled by the socket). */
function setup() {
  FakeSocket.all = [];
  const sent: AgentFrame[] = [];
  const alerts: string[] = [];
  const socket = createLiveSocket({
    url: 'ws://x',
    onFrame: (f) => store.apply(f),
    onOpen: () => {},
    WebSocket: FakeWebSocket,
    events: null,
  });
  const store = createLiveStore({
    send: (f) => sent.push(f),
    sendVolatile: (f) => sent.push(f),
    command: (f) => {
      sent.push(f);
      return socket.command(f);
    },
    onAlert: (a) => alerts.push(a.kind),
  });
  socket.start();
  const server = FakeSocket.all[0]!;
  server.open();
  store.apply(welcome);
  return { store, sent, alerts, server };
}

describe('live store', () => {
  it('keeps the queue oldest first and follows the agent’s own chats from their current end', () => {
    const { store, sent } = setup();
    store.apply({
      type: 'queue.snapshot',
      conversations: [
        view('c2', { queuedAt: 9 }),
        view('c1', { queuedAt: 2 }),
        view('c3', { status: 'assigned', assignee: { id: 'a1', name: 'Ann' }, lastSeq: 7 }),
      ],
    });
    expect(store.queue().map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(store.mine().map((c) => c.id)).toEqual(['c3']);
    expect(sent).toContainEqual({ type: 'conversation.subscribe', conversationId: 'c3', lastSeq: 7 });
  });

  it('alerts for a new handoff after the first snapshot, and drops chats that left the queue while away', () => {
    const { store, alerts } = setup();
    store.apply({ type: 'queue.snapshot', conversations: [view('c1')] });
    expect(alerts).toEqual([]);
    store.apply({ type: 'conversation.updated', conversationId: 'c2', seq: 4, change: 'handoff', conversation: view('c2'), at: 11 });
    expect(alerts).toEqual(['queued']);
    // After a reconnect the snapshot no longer has c1 (someone took it meanwhile).
    store.apply({ type: 'queue.snapshot', conversations: [view('c2')] });
    expect(store.queue().map((c) => c.id)).toEqual(['c2']);
  });

  it('drops an erased conversation from every list and its transcript, and remembers it was erased', () => {
    const { store, sent } = setup();
    store.apply({
      type: 'queue.snapshot',
      conversations: [view('c1'), view('c2', { status: 'assigned', assignee: { id: 'a1', name: 'Ann' }, lastSeq: 2 })],
    });
    store.open('c2');
    store.apply({
      type: 'message.created',
      conversationId: 'c2',
      seq: 3,
      message: { id: 'm3', seq: 3, kind: 'text', author: { type: 'visitor' }, text: 'Meine Adresse ist …', at: 20 },
    });
    expect(store.transcript('c2')?.entries.size).toBe(1);
    store.apply({ type: 'conversation.erased', conversationId: 'c2', siteKey: 'demo' });
    store.apply({ type: 'conversation.erased', conversationId: 'c1', siteKey: 'demo' });
    expect(store.queue()).toEqual([]);
    expect(store.mine()).toEqual([]);
    expect(store.transcript('c2')).toBeUndefined();
    expect(store.isErased('c2')).toBe(true);
    expect(store.isUnread('c2')).toBe(false);
    // Not followed any more: a reconnect does not subscribe to it again.
    sent.length = 0;
    store.resync((f) => sent.push(f));
    expect(sent.filter((f) => f.type === 'conversation.subscribe')).toEqual([]);
  });

  it('merges live frames and REST history by seq: nothing twice, resumes from the highest seq', () => {
    const { store, sent } = setup();
    store.apply({ type: 'queue.snapshot', conversations: [view('c1')] });
    store.open('c1');
    const msg = (seq: number, text: string): MessageCreatedFrame => ({
      type: 'message.created',
      conversationId: 'c1',
      seq,
      message: { id: `m${seq}`, seq, kind: 'text', author: { type: 'visitor' }, text, at: 100 + seq },
    });
    store.apply(msg(4, 'live'));
    store.mergeHistory('c1', [msg(1, 'a'), msg(2, 'b'), msg(4, 'live')], true);
    expect([...store.transcript('c1')!.entries.keys()].sort()).toEqual([1, 2, 4]);
    sent.length = 0;
    store.resync((f) => sent.push(f));
    expect(sent).toContainEqual({ type: 'conversation.subscribe', conversationId: 'c1', lastSeq: 4 });
    // No status in the hello: the server resumes the one the agent chose (across reloads and devices).
    expect(sent[0]).toEqual({ type: 'agent.hello' });
  });

  it('answers commands with the ack or error of their cid', async () => {
    const { store, sent, server } = setup();
    const cidOf = (f: AgentFrame | undefined) => (f && 'cid' in f ? f.cid : '');
    const ok = store.claim('c1');
    const cid = cidOf(sent.at(-1));
    server.receive({ type: 'ack', cid, seq: 5 });
    await expect(ok).resolves.toMatchObject({ seq: 5 });
    const bad = store.claim('c1');
    server.receive({ type: 'error', cid: cidOf(sent.at(-1)), code: 'CONFLICT', message: 'taken' });
    await expect(bad).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('shows visitor typing until it stops or its time runs out', () => {
    let now = 0;
    const store = createLiveStore({
      send: () => {},
      sendVolatile: () => {},
      command: () => Promise.reject(new Error('no socket')),
      now: () => now,
      typingTtlMs: 1000,
    });
    store.apply({ type: 'typing', conversationId: 'c1', author: { type: 'visitor', name: 'Vera' }, active: true });
    expect(store.typingIn('c1')).toMatchObject({ name: 'Vera' });
    now = 1500;
    expect(store.typingIn('c1')).toBeNull();
  });
});
