// Crash: the server process is SIGKILLed mid-conversation and restarted on the same data. Every
// acknowledged message is still there, clients resume from their last seq, and the bot, queue and
// assignment state is as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '../testing/server-process.js';
import { login, newVisitor } from '../testing/client.js';
import { ReliableClient } from '../testing/reliable-client.js';

let server: ServerProcess;
const env = { VISITOR_MESSAGES_PER_WINDOW: '10000', FRAMES_PER_WINDOW: '100000', AUTO_ASSIGN: 'false' };

beforeAll(async () => {
  server = await startServerProcess({ env, keepData: true });
});
afterAll(async () => {
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
});

describe('crash and restart', () => {
  it('keeps every acknowledged message and all conversation state across a SIGKILL', async () => {
    // A conversation that stays with the bot, one waiting in the queue, and one assigned.
    const botOnly = await newVisitor(server.url);
    botOnly.client.send({ type: 'message.send', cid: 'b1', text: 'Hallo' });
    const botConv = (await botOnly.client.next((f) => f.type === 'ack')).conversationId as string;
    await botOnly.client.next((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot');
    botOnly.client.close();

    const waiting = await newVisitor(server.url);
    waiting.client.send({ type: 'handoff.request', cid: 'w1' });
    const queuedConv = (await waiting.client.next((f) => f.type === 'ack')).conversationId as string;
    waiting.client.close();

    const visitor = new ReliableClient({ url: server.url, role: 'visitor' });
    await visitor.connect();
    visitor.send({ type: 'handoff.request', cid: 'h' });
    await visitor.until(() => visitor.acks.has('h'));
    const conversationId = visitor.conversationId!;
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const agent = new ReliableClient({ url: server.url, role: 'agent', cookie, origin: server.url, conversationId });
    await agent.connect();
    agent.send({ type: 'conversation.claim', cid: 'claim', conversationId });
    await agent.until(() => agent.acks.has('claim'));

    // Traffic in flight when the process dies.
    for (let i = 0; i < 200; i++) {
      visitor.send({ type: 'message.send', cid: `v${i}`, conversationId, text: `visitor ${i}` });
      agent.send({ type: 'message.send', cid: `a${i}`, conversationId, text: `agent ${i}` });
    }
    await visitor.until(() => visitor.acks.size > 50, 10_000, 'some acks');
    await server.kill();
    const ackedBeforeCrash = [...visitor.acks.keys(), ...agent.acks.keys()].filter((c) => /^[va]\d+$/.test(c));
    expect(ackedBeforeCrash.length).toBeGreaterThan(50);

    // On disk, before any restart: every acknowledged message is there.
    const file = new Database(join(server.dataDir, 'servus.db'), { readonly: true });
    const stored = new Set(
      file
        .prepare("SELECT cid FROM events WHERE conversation_id = ? AND kind = 'message'")
        .all(conversationId)
        .map((r) => (r as { cid: string }).cid),
    );
    file.close();
    for (const cid of ackedBeforeCrash) expect(stored.has(cid), cid).toBe(true);

    server = await server.restart();
    // Both clients reconnect, resume from their last seq and resend what was not acknowledged.
    await Promise.all([visitor.drop(), agent.drop()]);
    await visitor.until(() => visitor.pending === 0, 30_000, 'visitor outbox empty');
    await agent.until(() => agent.pending === 0, 30_000, 'agent outbox empty');

    const res = await fetch(`${server.url}/api/conversations/${conversationId}`, { headers: { cookie, origin: server.url } });
    const { conversation } = (await res.json()) as { conversation: { status: string; assignee: { id: string } | null; lastSeq: number } };
    expect(conversation.status).toBe('assigned');
    await visitor.until(() => visitor.lastSeq >= 400, 30_000, 'visitor caught up');
    await agent.until(() => agent.lastSeq === conversation.lastSeq, 30_000, 'agent caught up');
    // Every message exactly once, none lost, none doubled by the resends.
    const db = new Database(join(server.dataDir, 'servus.db'), { readonly: true });
    const cids = db
      .prepare("SELECT cid FROM events WHERE conversation_id = ? AND kind = 'message' ORDER BY seq")
      .all(conversationId)
      .map((r) => (r as { cid: string }).cid);
    expect(cids.length).toBe(400);
    expect(new Set(cids).size).toBe(400);
    // Gap-free on both sides, across the crash.
    expect(visitor.received).toEqual(Array.from({ length: visitor.lastSeq }, (_, i) => i + 1));
    expect(agent.received).toEqual(Array.from({ length: agent.lastSeq }, (_, i) => i + 1));

    // Queue and bot state survived too.
    const states = db.prepare('SELECT id, status, bot_state FROM conversations WHERE id IN (?, ?)').all(botConv, queuedConv) as {
      id: string;
      status: string;
      bot_state: string;
    }[];
    db.close();
    expect(states.find((s) => s.id === botConv)).toMatchObject({ status: 'bot' });
    expect(JSON.parse(states.find((s) => s.id === botConv)!.bot_state)).toHaveProperty('misses');
    expect(states.find((s) => s.id === queuedConv)).toMatchObject({ status: 'queued' });
    const queueRes = await fetch(`${server.url}/api/conversations`, { headers: { cookie } });
    const queue = (await queueRes.json()) as { conversations: { id: string; status: string }[] };
    expect(queue.conversations.filter((c) => c.status === 'queued').map((c) => c.id)).toContain(queuedConv);
    visitor.close();
    agent.close();
  }, 90_000);
});
