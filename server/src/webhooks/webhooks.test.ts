// Webhooks against a real local HTTP receiver: signed deliveries with an id, the events of a whole
// conversation, retries after 500s and time-outs, order per conversation, disabling after repeated
// failure (with an email), the test button, the delivery log, and SSRF refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import type { BotResponder } from '../bot/index.js';
import { WEBHOOK_EVENTS } from './events.js';

/** The verification snippet of docs/integrations.md, as a receiver would write it. */
function verifySignature(secret: string, header: string, body: string, toleranceSeconds = 300, nowSeconds = Date.now() / 1000): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isFinite(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const bot: BotResponder = {
  reply: () => ({
    kind: 'answer',
    text: 'We ship in 2-3 days.',
    lang: 'en',
    confidence: 0.9,
    suggestions: [],
    offerHandoff: false,
    state: {},
    botName: 'Servus Bot',
  }),
};

let smtp: SmtpInbox;
let server: TestServer;
let receiver: WebhookReceiver;
let token: string;

function v1(method: string, path: string, body?: unknown, base = server.url, secret = token) {
  return fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function newToken(base: string): Promise<string> {
  const cookie = await login(base, TEST_ADMIN.email, TEST_ADMIN.password);
  const res = await fetch(`${base}/api/tokens`, {
    method: 'POST',
    headers: { cookie, origin: base, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'hooks', scopes: ['sites:manage', 'messages:write', 'conversations:write'] }),
  });
  return ((await res.json()) as { secret: string }).secret;
}

async function subscribe(url: string, events: readonly string[] = WEBHOOK_EVENTS, base = server.url, secret = token) {
  const res = await v1('POST', '/sites/demo/webhooks', { url, events }, base, secret);
  expect(res.status).toBe(201);
  return (await res.json()) as { webhook: { id: string }; secret: string };
}

const removeAll = async () => {
  const list = (await (await v1('GET', '/sites/demo/webhooks')).json()) as { webhooks: { id: string }[] };
  for (const w of list.webhooks) await v1('DELETE', `/sites/demo/webhooks/${w.id}`);
};

beforeAll(async () => {
  smtp = await startSmtpInbox();
  receiver = await startWebhookReceiver();
  server = await startTestServer({
    bots: bot,
    overrides: {
      autoAssign: false,
      smtpUrl: smtp.url,
      webhookAllowAddresses: '127.0.0.1',
      webhookRetryBaseSeconds: 0.05,
      webhookTimeoutSeconds: 0.5,
      webhookDisableAfterFailures: 4,
    },
  });
  token = await newToken(server.url);
});
afterAll(async () => {
  await server.close();
  await receiver.close();
  await smtp.close();
});

describe('webhook deliveries', () => {
  it('delivers a conversation’s events signed, each with an id, in order', async () => {
    receiver.answer = () => 200;
    const { secret } = await subscribe(receiver.url);
    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'Hello' });
    const conversationId = (await visitor.client.next((f) => f.cid === 'm1')).conversationId as string;
    visitor.client.send({ type: 'handoff.request', cid: 'h1', conversationId });
    await visitor.client.next((f) => f.cid === 'h1');
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'message.send', cid: 'a1', conversationId, text: 'Hi, how can I help?' });
    await agent.client.next((f) => f.cid === 'a1');
    agent.client.send({ type: 'conversation.resolve', cid: 'r1', conversationId });
    await agent.client.next((f) => f.cid === 'r1');
    visitor.client.send({ type: 'conversation.rate', cid: 'rate1', conversationId, csat: 5 });
    await visitor.client.next((f) => f.cid === 'rate1');

    const last = await receiver.waitFor((r) => r.json.event === 'conversation.rated');
    const mine = receiver.requests.filter((r) => (r.json.conversation as { id: string } | undefined)?.id === conversationId);
    expect(mine.map((r) => r.json.event)).toEqual([
      'conversation.created',
      'message.created.visitor',
      'message.created.bot',
      'conversation.handoff_requested',
      'conversation.assigned',
      'message.created.agent',
      'conversation.resolved',
      'conversation.rated',
    ]);
    for (const r of mine) {
      expect(verifySignature(secret, r.headers['servus-signature'] as string, r.body)).toBe(true);
      expect(verifySignature('whsec_wrong', r.headers['servus-signature'] as string, r.body)).toBe(false);
      expect(r.headers['servus-webhook-id']).toBe(r.json.id);
      expect(r.headers['servus-event']).toBe(r.json.event);
    }
    expect(new Set(mine.map((r) => r.json.id)).size).toBe(mine.length);
    expect(last.json.rating).toEqual({ csat: 5 });
    expect((mine[1]!.json.message as { text: string }).text).toBe('Hello');
    visitor.client.close();
    agent.client.close();
    await removeAll();
  });

  it('only sends the events subscribed to, and an offline form as a ticket', async () => {
    receiver.answer = () => 200;
    await subscribe(receiver.url, ['offline_ticket.created']);
    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'Hi' });
    await visitor.client.next((f) => f.cid === 'm1');
    visitor.client.send({ type: 'offline.submit', cid: 'o1', email: 'jo@example.com', message: 'Call me back' });
    const conversationId = (await visitor.client.next((f) => f.cid === 'o1')).conversationId as string;
    const ticket = await receiver.waitFor(
      (r) => r.json.event === 'offline_ticket.created' && (r.json.conversation as { id: string }).id === conversationId,
    );
    expect(ticket.json).toMatchObject({ email: 'jo@example.com', message: { text: 'Call me back' } });
    const forIt = receiver.requests.filter((r) => (r.json.conversation as { id: string } | undefined)?.id === conversationId);
    expect(forIt.map((r) => r.json.event)).toEqual(['offline_ticket.created']);
    visitor.client.close();
    await removeAll();
  });

  it('retries after 500s and time-outs with backoff, then delivers once; keeps order meanwhile', async () => {
    const { webhook } = await subscribe(receiver.url, ['message.created.visitor']);
    // The first two attempts of every delivery fail: a 500, then a time-out.
    const tries = new Map<string, number>();
    receiver.answer = ({ body }) => {
      const id = (JSON.parse(body) as { id: string }).id;
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      return n === 1 ? 500 : n === 2 ? 'hang' : 200;
    };
    const visitor = await newVisitor(server.url);
    const texts = ['one', 'two', 'three'];
    let conversationId = '';
    for (const [i, text] of texts.entries()) {
      visitor.client.send({ type: 'message.send', cid: `m${i}`, text, ...(conversationId ? { conversationId } : {}) });
      conversationId = (await visitor.client.next((f) => f.cid === `m${i}`)).conversationId as string;
    }
    await receiver.waitFor((r) => r.answered === 200 && (r.json.message as { text: string } | undefined)?.text === 'three');
    const mine = receiver.requests.filter((r) => (r.json.conversation as { id: string } | undefined)?.id === conversationId);
    // Each delivery: 500, time-out, 200, and never the next one before the previous succeeded.
    expect(mine.map((r) => `${(r.json.message as { text: string }).text}:${r.answered}`)).toEqual(
      texts.flatMap((t) => [`${t}:500`, `${t}:hang`, `${t}:200`]),
    );
    const log = (await (await v1('GET', `/sites/demo/webhooks/${webhook.id}/deliveries`)).json()) as {
      deliveries: { status: string; attempts: number; lastStatus: number; lastResponse: string }[];
    };
    expect(log.deliveries.map((d) => [d.status, d.attempts, d.lastStatus, d.lastResponse])).toEqual(
      texts.map(() => ['delivered', 3, 200, 'ok']),
    );
    visitor.client.close();
    await removeAll();
  });

  it('disables a webhook after repeated failure and emails the site’s admins; enabling sends what waited', async () => {
    receiver.answer = () => 503;
    const { webhook } = await subscribe(receiver.url, ['message.created.visitor']);
    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'anyone?' });
    await visitor.client.next((f) => f.cid === 'm1');
    const mail = await smtp.next((m) => m.raw.includes('webhook disabled'));
    expect(mail.to).toEqual([TEST_ADMIN.email]);
    const hook = (await (await v1('GET', '/sites/demo/webhooks')).json()) as {
      webhooks: { id: string; enabled: boolean; disabledReason: string }[];
    };
    expect(hook.webhooks[0]).toMatchObject({ id: webhook.id, enabled: false });
    expect(hook.webhooks[0]!.disabledReason).toContain('4 failed attempts');
    const attempts = receiver.requests.filter((r) => r.answered === 503).length;
    expect(attempts).toBe(4);
    receiver.answer = () => 200;
    expect((await v1('PATCH', `/sites/demo/webhooks/${webhook.id}`, { enabled: true })).status).toBe(200);
    const delivered = await receiver.waitFor(
      (r) => r.answered === 200 && (r.json.message as { text: string } | undefined)?.text === 'anyone?',
    );
    expect(delivered.json.event).toBe('message.created.visitor');
    visitor.client.close();
    await removeAll();
  });

  it('the test button sends a signed test event and answers how it went', async () => {
    receiver.answer = () => 200;
    const { webhook, secret } = await subscribe(receiver.url);
    const res = (await (await v1('POST', `/sites/demo/webhooks/${webhook.id}/test`)).json()) as { ok: boolean; status: number };
    expect(res).toMatchObject({ ok: true, status: 200 });
    const got = await receiver.waitFor((r) => r.json.event === 'webhook.test');
    expect(verifySignature(secret, got.headers['servus-signature'] as string, got.body)).toBe(true);
    receiver.answer = () => 500;
    expect(await (await v1('POST', `/sites/demo/webhooks/${webhook.id}/test`)).json()).toMatchObject({ ok: false, status: 500 });
    await removeAll();
  });

  it('writes nothing for a command that was refused', async () => {
    receiver.answer = () => 200;
    const { webhook } = await subscribe(receiver.url);
    const visitor = await newVisitor(server.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'hi' });
    const conversationId = (await visitor.client.next((f) => f.cid === 'm1')).conversationId as string;
    await receiver.waitFor((r) => r.json.event === 'message.created.bot' && (r.json.conversation as { id: string }).id === conversationId);
    const before = await server.database.db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', webhook.id).execute();
    // Rating a conversation of someone else: refused, nothing committed, nothing sent.
    const other = await newVisitor(server.url);
    other.client.send({ type: 'conversation.rate', cid: 'x', conversationId, csat: 1 });
    await other.client.next((f) => f.type === 'error');
    const after = await server.database.db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', webhook.id).execute();
    expect(after.length).toBe(before.length);
    visitor.client.close();
    other.client.close();
    await removeAll();
  });
});

describe('SSRF protection', () => {
  it('refuses loopback, link-local and private targets unless allowed, and never follows a redirect', async () => {
    const strict = await startTestServer({ overrides: { webhookTimeoutSeconds: 0.5 } });
    try {
      const secret = await newToken(strict.url);
      for (const url of [
        receiver.url,
        `http://localhost:${receiver.port}/hook`,
        'http://169.254.169.254/latest/meta-data/',
        `http://[::1]:${receiver.port}/hook`,
        'http://10.0.0.1/hook',
        'http://192.168.1.1/hook',
        `http://[::ffff:127.0.0.1]:${receiver.port}/hook`,
        'http://0.0.0.0/hook',
      ]) {
        const res = await v1('POST', '/sites/demo/webhooks', { url, events: ['message.created.visitor'] }, strict.url, secret);
        expect({ url, status: res.status }).toEqual({ url, status: 403 });
      }
      expect(
        (await v1('POST', '/sites/demo/webhooks', { url: 'file:///etc/passwd', events: ['conversation.created'] }, strict.url, secret))
          .status,
      ).toBe(400);
    } finally {
      await strict.close();
    }
    // Allowed 127.0.0.1 (the test receiver) does not open 169.254.169.254 through a redirect.
    const { webhook } = await subscribe(receiver.url);
    receiver.answer = () => ({ redirect: 'http://169.254.169.254/latest/meta-data/' });
    const res = (await (await v1('POST', `/sites/demo/webhooks/${webhook.id}/test`)).json()) as {
      ok: boolean;
      status: number;
      error: string;
    };
    expect(res).toMatchObject({ ok: false, status: 302 });
    expect(res.error).toContain('not followed');
    await removeAll();
  });
});

describe('webhooks on PostgreSQL', () => {
  it('delivers every message of a busy conversation once and in order through failures', async () => {
    const pg = await startTestServer({
      postgres: true,
      bots: bot,
      overrides: { autoAssign: false, webhookAllowAddresses: '127.0.0.1', webhookRetryBaseSeconds: 0.05 },
    });
    const pgReceiver = await startWebhookReceiver();
    try {
      const secret = await newToken(pg.url);
      await subscribe(pgReceiver.url, ['message.created.visitor'], pg.url, secret);
      // Every third request fails: later deliveries of the conversation wait for the earlier ones.
      pgReceiver.answer = ({ n }) => (n % 3 === 2 ? 500 : 200);
      const visitor = await newVisitor(pg.url);
      visitor.client.send({ type: 'message.send', cid: 'm0', text: 'message 0' });
      const conversationId = (await visitor.client.next((f) => f.cid === 'm0')).conversationId as string;
      // Sent without waiting for acks: the writes commit in batches, the outbox rows follow.
      for (let i = 1; i < 20; i++) visitor.client.send({ type: 'message.send', cid: `m${i}`, conversationId, text: `message ${i}` });
      await pgReceiver.waitFor((r) => r.answered === 200 && (r.json.message as { text: string } | undefined)?.text === 'message 19');
      const delivered = pgReceiver.requests.filter((r) => r.answered === 200).map((r) => (r.json.message as { text: string }).text);
      expect(delivered).toEqual(Array.from({ length: 20 }, (_, i) => `message ${i}`));
      expect(pgReceiver.requests.some((r) => r.answered === 500)).toBe(true);
      visitor.client.close();
    } finally {
      await pg.close();
      await pgReceiver.close();
    }
  });
});
