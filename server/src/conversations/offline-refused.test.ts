// Nothing of a refused command is stored: an offline form refused (another visitor's conversation,
// a reused cid, over the rate limit) leaves the visitor's email as it was. An accepted one stores it.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newVisitor } from '../testing/client.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each([false, true])('a refused offline.submit (postgres: %s)', (postgres) => {
  it('stores no email, while an accepted one does', async () => {
    server = await startTestServer({ postgres, overrides: { visitorMessagesPerWindow: 5 } });
    const { db } = server.database;
    const email = async (id: string) =>
      (await db.selectFrom('visitors').select('email').where('id', '=', id).executeTakeFirstOrThrow()).email;
    const other = await newVisitor(server.url);
    other.client.send({ type: 'message.send', cid: 'o1', text: 'Hello' });
    const othersConversation = (await other.client.next((f) => f.type === 'ack')).conversationId as string;

    const { client, visitorId } = await newVisitor(server.url);
    client.send({ type: 'offline.submit', cid: 'x1', conversationId: othersConversation, email: 'first@example.com', message: 'Call me' });
    expect(await client.next((f) => f.cid === 'x1')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    expect(await email(visitorId)).toBeNull();

    client.send({ type: 'message.send', cid: 'm1', text: 'Hi' });
    const conversationId = (await client.next((f) => f.type === 'ack' && f.cid === 'm1')).conversationId as string;
    client.send({ type: 'conversation.rate', cid: 'r1', conversationId, csat: 4 });
    await client.next((f) => f.type === 'ack' && f.cid === 'r1');
    client.send({ type: 'offline.submit', cid: 'r1', email: 'second@example.com', message: 'Call me' });
    expect(await client.next((f) => f.type === 'error' && f.cid === 'r1')).toMatchObject({ code: 'CID_REUSED' });
    expect(await email(visitorId)).toBeNull();

    client.send({ type: 'offline.submit', cid: 'x2', email: 'third@example.com', message: 'Call me' });
    expect(await client.next((f) => f.cid === 'x2')).toMatchObject({ type: 'ack' });
    expect(await email(visitorId)).toBe('third@example.com');

    // The rate limit counts every message and form, refused or not: x1, m1, r1, x2 and x3 make 5.
    client.send({ type: 'offline.submit', cid: 'x3', email: 'third@example.com', message: 'Again' });
    await client.next((f) => f.cid === 'x3');
    client.send({ type: 'offline.submit', cid: 'x4', email: 'fourth@example.com', message: 'Again' });
    expect(await client.next((f) => f.cid === 'x4')).toMatchObject({ type: 'error', code: 'RATE_LIMITED' });
    expect(await email(visitorId)).toBe('third@example.com');
  });
});
