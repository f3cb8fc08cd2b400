// The learning loop against real servers, on SQLite and PostgreSQL: a visitor's yes / no under a bot
// answer (the bot's reply, the label, exactly once), an agent's labels in a transcript, and, once a
// site has enough labels, its own threshold fitted by the durable job and used by every instance's
// bot, with the figures the FAQ editor shows; the site's one control moves the threshold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newVisitor, type Frame, type TestClient } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { createFaqBots, type BotResponder } from '../bot/index.js';
import { createLocalHub } from '../pubsub/hub.js';
import { hashPassword, randomId } from '../core/ids.js';
import type { BotLabelsResponse, BotLearningResponse, ChatMessage, FaqDiagnosticsResponse, MetricsReport } from '@servus/shared';

const QUESTION = 'Wie lange dauert der Versand?';
/** Answered, but less surely (confidence below 1) than QUESTION. */
const PLAIN = 'Lieferzeit nach Österreich';

for (const postgres of [false, true]) {
  describe(`bot learning (${postgres ? 'PostgreSQL' : 'SQLite'})`, () => {
    const hub = createLocalHub();
    let a: TestServer & { pgSchema?: string };
    let b: TestServer;
    let admin: string;
    let otherAgent: string;

    beforeAll(async () => {
      a = await startTestServer({ bots: createFaqBots as unknown as BotResponder, postgres, hub });
      // On PostgreSQL a second instance on the same database and hub (the scale-out shape, in one process).
      b = postgres ? await startTestServer({ bots: createFaqBots as unknown as BotResponder, postgres, hub, pgSchema: a.pgSchema! }) : a;
      admin = await login(a.url, TEST_ADMIN.email, TEST_ADMIN.password);
      // An agent of another site only.
      const id = randomId('a');
      await a.database.db
        .insertInto('sites')
        .values({ key: 'other', name: 'Other', secret: 'x'.repeat(32), settings: '{}', created_at: Date.now() })
        .execute();
      await a.database.db
        .insertInto('agents')
        .values({
          id,
          email: 'olga@example.com',
          name: 'Olga',
          role: 'agent',
          password_hash: await hashPassword('olga-password-1'),
          capacity: 3,
          created_at: Date.now(),
        })
        .execute();
      await a.database.db.insertInto('agent_sites').values({ agent_id: id, site_key: 'other' }).execute();
      otherAgent = await login(a.url, 'olga@example.com', 'olga-password-1');
    });
    afterAll(async () => {
      if (b !== a) await b?.close();
      await a?.close();
    });

    async function call<T>(server: TestServer, cookie: string, method: string, path: string, body?: unknown) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { cookie, origin: server.url, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as T & { error?: { code: string } } };
    }
    const botMessages = (c: TestClient) =>
      c.frames
        .filter((f) => f.type === 'message.created' && (f.message as ChatMessage).author.type === 'bot')
        .map((f) => f.message as ChatMessage);

    /** A visitor asks; resolves with the bot's message (visitor view) and the conversation id. */
    async function ask(server: TestServer, text: string) {
      const v = await newVisitor(server.url);
      v.client.send({ type: 'message.send', cid: 'q1', text });
      const ack = await v.client.next((f) => f.type === 'ack' && f.cid === 'q1');
      const created = await v.client.next((f) => f.type === 'message.created' && (f.message as ChatMessage).author.type === 'bot');
      return { v, conversationId: ack.conversationId as string, message: created.message as ChatMessage };
    }

    it('a "no" under a bot answer gets the answer’s other suggestions and the offer of a person, once', async () => {
      const { v, conversationId, message } = await ask(a, QUESTION);
      expect(message.askFeedback).toBe(true);
      expect(message.suggestions?.length).toBeGreaterThan(0);
      v.client.send({ type: 'answer.feedback', cid: 'f1', conversationId, messageId: message.id, helpful: false });
      const ack = await v.client.next((f) => f.type === 'ack' && f.cid === 'f1');
      expect(ack.id).toBeTruthy();
      const reply = (await v.client.next((f) => f.type === 'message.created' && (f.message as ChatMessage).id === ack.id))
        .message as ChatMessage;
      expect(reply.author.type).toBe('bot');
      expect(reply.text).toMatch(/tut mir leid/i);
      expect(reply.suggestions).toEqual(message.suggestions);
      expect(reply.askFeedback).toBeUndefined();
      // The same command again is the same ack; another "no" on the same answer logs nothing more.
      v.client.send({ type: 'answer.feedback', cid: 'f1', conversationId, messageId: message.id, helpful: false });
      expect(await v.client.next((f) => f.type === 'ack' && f.cid === 'f1' && f.duplicate === true)).toMatchObject({ id: ack.id });
      v.client.send({ type: 'answer.feedback', cid: 'f2', conversationId, messageId: message.id, helpful: true });
      const second = await v.client.next((f) => f.type === 'ack' && f.cid === 'f2');
      expect(second.id).toBeUndefined();
      expect(botMessages(v.client)).toHaveLength(2);
      // The "no" counts as a miss: the next question the bot cannot answer hands over to a person.
      v.client.send({ type: 'message.send', cid: 'q2', text: 'Quokka Zirkus Trompete' });
      await v.client.next((f) => f.type === 'conversation.updated' && f.change === 'handoff');
      const labels = await a.database.db.selectFrom('bot_labels').selectAll().where('conversation_id', '=', conversationId).execute();
      expect(labels).toMatchObject([
        { message_id: message.id, source: 'visitor', label: 'wrong', question: QUESTION, faq_id: 'versanddauer' },
      ]);
      v.client.close();
    });

    it('a "yes" is thanked and counts as bot resolution confirmed by the visitor', async () => {
      const { v, conversationId, message } = await ask(a, QUESTION);
      v.client.send({ type: 'answer.feedback', cid: 'y1', conversationId, messageId: message.id, helpful: true });
      const ack = await v.client.next((f) => f.type === 'ack' && f.cid === 'y1');
      const reply = (await v.client.next((f) => f.type === 'message.created' && (f.message as ChatMessage).id === ack.id))
        .message as ChatMessage;
      expect(reply.text).toMatch(/Schön/);
      expect(reply.suggestions ?? []).toEqual([]);
      const r = await call<MetricsReport>(a, admin, 'GET', `/api/metrics?from=0&to=${Date.now() + 60_000}`);
      expect(r.status).toBe(200);
      expect(r.body.summary.botFeedback).toEqual({ yes: 1, no: 1 });
      // Two engaged conversations so far: this one confirmed, the first handed over.
      expect(r.body.summary.botConfirmedResolution).toBe(0.5);
      v.client.close();
    });

    it('refuses feedback on what is not a bot answer, and on another visitor’s conversation', async () => {
      const { v, conversationId, message } = await ask(a, QUESTION);
      const own = v.client.frames.find((f) => f.type === 'message.created' && (f.message as ChatMessage).author.type === 'visitor');
      v.client.send({ type: 'answer.feedback', cid: 'n1', conversationId, messageId: (own!.message as ChatMessage).id, helpful: true });
      expect(await v.client.next((f) => f.type === 'error' && f.cid === 'n1')).toMatchObject({ code: 'NOT_FOUND' });
      const intruder = await newVisitor(a.url);
      intruder.client.send({ type: 'answer.feedback', cid: 'n2', conversationId, messageId: message.id, helpful: false });
      expect(await intruder.client.next((f) => f.type === 'error' && f.cid === 'n2')).toMatchObject({ code: 'NOT_FOUND' });
      expect(await a.database.db.selectFrom('bot_labels').selectAll().where('conversation_id', '=', conversationId).execute()).toEqual([]);
      v.client.close();
      intruder.client.close();
    });

    it('an agent marks a bot answer wrong in the transcript (their label counts over the visitor’s); other sites’ agents cannot', async () => {
      const { v, conversationId, message } = await ask(a, QUESTION);
      const path = `/api/conversations/${conversationId}/bot-labels/${message.id}`;
      const put = await call<BotLabelsResponse>(a, admin, 'PUT', path, { label: 'wrong' });
      expect(put.status).toBe(200);
      expect(put.body.labels).toMatchObject([{ messageId: message.id, label: 'wrong', source: 'agent' }]);
      expect((await call<BotLabelsResponse>(a, admin, 'PUT', path, { label: 'not_covered' })).body.labels).toMatchObject([
        { label: 'not_covered' },
      ]);
      expect((await call(a, admin, 'PUT', path, { label: 'maybe' })).status).toBe(400);
      expect((await call(a, otherAgent, 'PUT', path, { label: 'right' })).status).toBe(404);
      expect((await call(a, otherAgent, 'GET', `/api/conversations/${conversationId}/bot-labels`)).status).toBe(404);
      expect((await call(a, admin, 'PUT', `/api/conversations/${conversationId}/bot-labels/nope`, { label: 'right' })).status).toBe(404);
      expect((await call<BotLabelsResponse>(a, admin, 'DELETE', path)).body.labels).toEqual([]);
      v.client.close();
    });

    it('with enough labels the job fits the site’s own threshold, every instance’s bot uses it, and the control moves it', async () => {
      // The bot answers the question on both instances at the default threshold.
      const before = await ask(b, PLAIN);
      const { labels: labelled } = (await call<BotLearningResponse>(a, admin, 'GET', '/api/sites/demo/bot/learning')).body;
      expect(labelled).toBeLessThan(50);
      const confidence = (
        await call<{ events: Frame[] }>(a, admin, 'GET', `/api/conversations/${before.conversationId}/events`)
      ).body.events
        .map((e) => e.message as ChatMessage | undefined)
        .find((m) => m?.author.type === 'bot')!.bot!.confidence!;
      expect(before.message.askFeedback).toBe(true);
      // Labels like a site's whose answers at this confidence were wrong: 30 right ones far above it, 30 wrong ones at it.
      const at = Date.now();
      const rows = Array.from({ length: 60 }, (_, i) => ({
        message_id: `seed${i}`,
        source: 'agent' as const,
        site_key: 'demo',
        conversation_id: 'seeded',
        label: i < 30 ? ('right' as const) : ('wrong' as const),
        question: `seeded ${i}`,
        faq_id: 'versanddauer',
        confidence: i < 30 ? 1 : confidence,
        agent_id: null,
        created_at: at + i,
      }));
      await a.database.db.insertInto('bot_labels').values(rows).execute();
      const refitted = new Promise<void>((resolve) => {
        const off = hub.onBroadcast('bot-learning', () => {
          off();
          resolve();
        });
      });
      // One more label through the console schedules the refit (a durable job).
      expect(
        (await call(a, admin, 'PUT', `/api/conversations/${before.conversationId}/bot-labels/${before.message.id}`, { label: 'wrong' }))
          .status,
      ).toBe(200);
      await refitted;
      const learned = await call<BotLearningResponse>(b, admin, 'GET', '/api/sites/demo/bot/learning');
      expect(learned.body).toMatchObject({ fitted: true, labels: labelled + 61, bias: 0 });
      expect(learned.body.threshold).toBeGreaterThan(confidence);
      expect(learned.body.current.rightWhenAnswered).toBeGreaterThanOrEqual(0.8);
      expect(learned.body.curve).toHaveLength(9);
      // Both instances' bots are unsure now where they answered before.
      for (const server of new Set([a, b])) {
        const after = await ask(server, PLAIN);
        expect(after.message.askFeedback).toBeUndefined();
        expect(after.message.suggestions?.[0]?.id).toBe('versanddauer');
        after.v.client.close();
      }
      // "Answer more" as far as it goes: the threshold halves, and the bot answers again.
      const more = await call<BotLearningResponse>(a, admin, 'PUT', '/api/sites/demo/bot/learning', { bias: 1 });
      expect(more.status).toBe(200);
      expect(more.body.threshold).toBeLessThan(learned.body.threshold);
      expect(more.body.current.answerRate).toBeGreaterThan(learned.body.current.answerRate);
      const again = await ask(b, PLAIN);
      expect(again.message.askFeedback).toBe(true);
      // Only admins move the control; the value is bounded.
      const agentCookie = otherAgent;
      expect((await call(a, agentCookie, 'PUT', '/api/sites/demo/bot/learning', { bias: 0 })).status).toBe(404);
      expect((await call(a, admin, 'PUT', '/api/sites/demo/bot/learning', { bias: 2 })).status).toBe(400);
      before.v.client.close();
      again.v.client.close();
    });

    it('tells the FAQ’s author which entries no visitor reached', async () => {
      const r = await call<FaqDiagnosticsResponse>(a, admin, 'GET', '/api/sites/demo/bot/diagnostics');
      expect(r.status).toBe(200);
      expect(r.body.loaded).toBe(true);
      expect(r.body.entries).toBeGreaterThan(10);
      const unreached = r.body.unreached.map((e) => e.id);
      expect(unreached).not.toContain('versanddauer');
      expect(unreached).toContain('versandkosten');
      expect(r.body.checked).toBeGreaterThan(0);
    });
  });
}
