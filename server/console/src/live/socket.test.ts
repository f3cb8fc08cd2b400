import { describe, expect, it, vi } from 'vitest';
import { FakeSocket, FakeWebSocket } from './fake-web-socket.test-helper.js';
import { CommandError, createLiveSocket } from './socket.js';

// The backoff itself is shared/'s (shared/src/socket/reconnecting-socket.test.ts).
const unsubscribe = (n: number) => ({ type: 'conversation.unsubscribe' as const, conversationId: `c${n}` });

describe('live socket', () => {
  it('says hello on every open, keeps commands while offline (bounded) and retries with backoff', () => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    const opens: number[] = [];
    const s = createLiveSocket({
      url: 'ws://x/ws/agent',
      onFrame: () => {},
      onOpen: (send) => {
        opens.push(Date.now());
        send({ type: 'agent.hello' });
      },
      WebSocket: FakeWebSocket,
      random: () => 0.5,
      outboxLength: 2,
    });
    s.start();
    s.send(unsubscribe(1));
    s.send(unsubscribe(2));
    s.send(unsubscribe(3));
    FakeSocket.all[0]!.open();
    expect(FakeSocket.all[0]!.protocols).toEqual(['servus.v1']);
    expect(FakeSocket.all[0]!.sent).toEqual(['{"type":"agent.hello"}', JSON.stringify(unsubscribe(2)), JSON.stringify(unsubscribe(3))]);
    FakeSocket.all[0]!.close();
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.open();
    expect(opens).toHaveLength(2);
    s.stop();
    vi.useRealTimers();
  });

  it('reconnects at once when asked (back online, back from sleep)', () => {
    FakeSocket.all = [];
    const s = createLiveSocket({
      url: 'ws://x',
      onFrame: () => {},
      onOpen: () => {},
      WebSocket: FakeWebSocket,
    });
    s.start();
    FakeSocket.all[0]!.open();
    s.reconnectNow();
    expect(FakeSocket.all).toHaveLength(2);
    expect(FakeSocket.all[0]!.readyState).toBe(3);
    s.stop();
  });

  it('settles every command once: its ack resolves it, an error frame with its cid rejects it at once', async () => {
    FakeSocket.all = [];
    const s = createLiveSocket({ url: 'ws://x', onFrame: () => {}, onOpen: () => {}, WebSocket: FakeWebSocket });
    s.start();
    const ws = FakeSocket.all[0]!;
    ws.open();
    const ok = s.command({ type: 'conversation.claim', cid: 'k1', conversationId: 'c1' });
    ws.receive({ type: 'ack', cid: 'k1', conversationId: 'c1', seq: 5 });
    await expect(ok).resolves.toMatchObject({ cid: 'k1', seq: 5 });
    const bad = s.command({ type: 'message.send', cid: 'k2', conversationId: 'c1', text: 'hi' });
    ws.receive({ type: 'error', cid: 'k2', code: 'CONFLICT', message: 'Another agent has this conversation.' });
    await expect(bad).rejects.toEqual(new CommandError('CONFLICT', 'Another agent has this conversation.'));
    await expect(bad).rejects.toMatchObject({ code: 'CONFLICT' });
    s.stop();
  });

  it('rejects a command the server never answers with TIMEOUT after the command timeout, and on logout with CLOSED', async () => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    const s = createLiveSocket({ url: 'ws://x', onFrame: () => {}, onOpen: () => {}, WebSocket: FakeWebSocket, commandTimeoutMs: 15_000 });
    s.start();
    FakeSocket.all[0]!.open();
    const lost = s.command({ type: 'note.add', cid: 'k1', conversationId: 'c1', text: 'x' });
    const caught = lost.catch((err: unknown) => err);
    vi.advanceTimersByTime(15_000);
    expect(await caught).toMatchObject({ code: 'TIMEOUT' });
    const pending = s.command({ type: 'note.add', cid: 'k2', conversationId: 'c1', text: 'y' }).catch((err: unknown) => err);
    s.close();
    expect(await pending).toMatchObject({ code: 'CLOSED' });
    vi.useRealTimers();
  });
});
