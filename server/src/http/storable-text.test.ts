// Text a database cannot hold (U+0000 above all: PostgreSQL's text refuses it) is cleaned at the
// edge, in every text field, with the same result on SQLite and PostgreSQL; and one visitor's such
// message never fails the messages of the visitors whose commands shared its write batch.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { newAgent, newVisitor, type TestClient } from '../testing/client.js';

const POISON = 'a\u0000b\u0007c\uD800d\te\nf';
const CLEANED = 'abc\uFFFDd\te\nf';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each([false, true])('storable text (postgres: %s)', (postgres) => {
  it('acks all 50 messages of one batch when one of them carries U+0000, and stores it cleaned', async () => {
    server = await startTestServer({ postgres, overrides: { connectionsPerIp: 100 } });
    const visitors = await Promise.all(Array.from({ length: 50 }, () => newVisitor(server!.url)));
    // Sent in one go: the 50 messages share a write batch on the server.
    for (const [i, v] of visitors.entries()) v.client.send({ type: 'message.send', cid: `m${i}`, text: i === 23 ? POISON : `hello ${i}` });
    const acks = await Promise.all(visitors.map((v, i) => v.client.next((f) => f.type === 'ack' && f.cid === `m${i}`)));
    for (const v of visitors) expect(v.client.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(acks.every((a) => typeof a.seq === 'number')).toBe(true);
    const echo = await visitors[23]!.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'visitor',
    );
    expect((echo.message as { text: string }).text).toBe(CLEANED);
    const stored = await server.database.db.selectFrom('events').select('text').where('cid', '=', 'm23').executeTakeFirstOrThrow();
    expect(stored.text).toBe(CLEANED);
    for (const v of visitors) v.client.close();
  });

  it('cleans every other text field a visitor, an agent or an admin supplies', async () => {
    server = await startTestServer({ postgres });
    const base = server.url;
    const { db } = server.database;
    const visitor = await newVisitor(base);
    const acked = (client: TestClient, cid: string) => client.next((f) => (f.type === 'ack' || f.type === 'error') && f.cid === cid);

    visitor.client.send({ type: 'visitor.profile', cid: 'p', name: `Ann${POISON}` });
    expect((await acked(visitor.client, 'p')).type).toBe('ack');
    visitor.client.send({ type: 'offline.submit', cid: 'o', email: 'ann@example.com', message: POISON });
    const offline = await acked(visitor.client, 'o');
    expect(offline.type).toBe('ack');
    expect((await db.selectFrom('visitors').select('name').where('id', '=', visitor.visitorId).executeTakeFirstOrThrow()).name).toBe(
      `Ann${CLEANED}`,
    );
    expect((await db.selectFrom('events').select('text').where('cid', '=', 'o').executeTakeFirstOrThrow()).text).toBe(CLEANED);

    const agent = await newAgent(base, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'note.add', cid: 'n', conversationId: offline.conversationId, text: POISON });
    expect((await acked(agent.client, 'n')).type).toBe('ack');
    expect((await db.selectFrom('events').select('text').where('cid', '=', 'n').executeTakeFirstOrThrow()).text).toBe(CLEANED);

    const rest = (method: string, path: string, body: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', origin: base, cookie: agent.cookie },
        body: JSON.stringify(body),
      });
    expect((await rest('POST', '/api/canned', { shortcut: 'x', text: POISON })).status).toBe(201);
    expect((await db.selectFrom('canned_responses').select('text').where('shortcut', '=', 'x').executeTakeFirstOrThrow()).text).toBe(
      CLEANED,
    );

    const settings = await rest('PATCH', '/api/sites/demo/settings', {
      settings: { title: { en: `Chat${POISON}` }, botName: `Bot${POISON}` },
    });
    expect(settings.status).toBe(200);
    const site = JSON.parse(
      (await db.selectFrom('sites').select('settings').where('key', '=', 'demo').executeTakeFirstOrThrow()).settings,
    ) as {
      title: { en: string };
      botName: string;
    };
    expect(site.title.en).toBe(`Chat${CLEANED.trim()}`);
    expect(site.botName).toBe(`Bot${CLEANED.trim()}`);

    const faq = await rest('POST', '/api/sites/demo/faq', { question: `Where${POISON}?`, variants: [POISON], answer: POISON, lang: 'en' });
    expect(faq.status).toBe(201);
    const entry = ((await faq.json()) as { entry: { question: string; variants: string[]; answer: string } }).entry;
    // A question is one line in the FAQ's Markdown: its whitespace collapses.
    expect(entry.question).toBe(`Where${CLEANED.replace(/\s+/g, ' ')}?`);
    expect(entry.answer).toBe(CLEANED.trim());

    const proactive = await rest('PUT', '/api/sites/demo/proactive', {
      rules: [{ id: 'r1', urlPattern: '/shop\u0000*', delaySeconds: 5, text: { en: `Hi${POISON}` } }],
    });
    expect(proactive.status).toBe(200);
    const rules = ((await proactive.json()) as { rules: { urlPattern: string; text: { en: string } }[] }).rules;
    expect(rules[0]!.urlPattern).toBe('/shop*');
    expect(rules[0]!.text.en).toBe(`Hi${CLEANED.trim()}`);

    const created = await rest('POST', '/api/agents', { name: `Bea${POISON}`, email: 'bea@example.com', password: 'password-123' });
    expect(created.status).toBe(201);
    expect((await db.selectFrom('agents').select('name').where('email', '=', 'bea@example.com').executeTakeFirstOrThrow()).name).toBe(
      `Bea${CLEANED.trim()}`,
    );

    const search = await fetch(`${base}/api/conversations?q=${encodeURIComponent('a\u0000b')}`, { headers: { cookie: agent.cookie } });
    expect(search.status).toBe(200);
    visitor.client.close();
    agent.client.close();
  });
});
