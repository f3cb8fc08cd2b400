// A cid names one command. A retry (same cid, same command) gets the stored ack; the same cid on a
// command for another conversation, or on another kind of command, is refused with CID_REUSED and
// stores nothing (it used to be answered with the old ack, and the new message was silently lost).
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { newAgent, newVisitor, type Frame, type TestClient } from '../testing/client.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The next answer (ack or error) to a cid that has not been returned before. */
const used = new Set<Frame>();
async function answer(client: TestClient, cid: string): Promise<Frame> {
  const frame = await client.next((f) => (f.type === 'ack' || f.type === 'error') && f.cid === cid && !used.has(f));
  used.add(frame);
  return frame;
}

describe.each([false, true])('cid reuse (postgres: %s)', (postgres) => {
  it('refuses an agent cid reused in another conversation or for a note, and still acks a real retry', async () => {
    server = await startTestServer({ postgres, overrides: { autoAssign: false } });
    const conversations: string[] = [];
    for (const i of [1, 2]) {
      const { client } = await newVisitor(server.url);
      client.send({ type: 'handoff.request', cid: `h${i}` });
      conversations.push((await client.next((f) => f.type === 'ack')).conversationId as string);
    }
    const [a, b] = conversations as [string, string];
    const { client: agent } = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.send({ type: 'message.send', cid: 'r1', conversationId: a, text: 'Hello from A' });
    const first = await answer(agent, 'r1');
    expect(first).toMatchObject({ type: 'ack', conversationId: a });

    agent.send({ type: 'message.send', cid: 'r1', conversationId: a, text: 'Hello from A' });
    expect(await answer(agent, 'r1')).toMatchObject({ type: 'ack', conversationId: a, id: first.id, duplicate: true });

    agent.send({ type: 'message.send', cid: 'r1', conversationId: b, text: 'Hello from B' });
    expect(await answer(agent, 'r1')).toMatchObject({ type: 'error', code: 'CID_REUSED', path: 'cid' });
    agent.send({ type: 'note.add', cid: 'r1', conversationId: a, text: 'A note' });
    expect(await answer(agent, 'r1')).toMatchObject({ type: 'error', code: 'CID_REUSED' });
    agent.send({ type: 'conversation.resolve', cid: 'r1', conversationId: a });
    expect(await answer(agent, 'r1')).toMatchObject({ type: 'error', code: 'CID_REUSED' });

    const { db } = server.database;
    expect(
      await db.selectFrom('events').select('text').where('conversation_id', '=', b).where('author_type', '=', 'agent').execute(),
    ).toEqual([]);
    expect((await db.selectFrom('conversations').select('status').where('id', '=', b).executeTakeFirstOrThrow()).status).toBe('queued');
    expect(await db.selectFrom('events').select('kind').where('conversation_id', '=', a).where('kind', '=', 'note').execute()).toEqual([]);
  });

  it('refuses a visitor cid reused for a rating or for a message into another conversation', async () => {
    server = await startTestServer({ postgres });
    const { client: visitor } = await newVisitor(server.url);
    visitor.send({ type: 'message.send', cid: 'm1', text: 'Hi' });
    const ack = await answer(visitor, 'm1');
    const conversationId = ack.conversationId as string;
    visitor.send({ type: 'message.send', cid: 'm1', conversationId, text: 'Hi' });
    expect(await answer(visitor, 'm1')).toMatchObject({ type: 'ack', duplicate: true, id: ack.id });
    visitor.send({ type: 'conversation.rate', cid: 'm1', conversationId, csat: 5 });
    expect(await answer(visitor, 'm1')).toMatchObject({ type: 'error', code: 'CID_REUSED' });
    visitor.send({ type: 'message.send', cid: 'm1', conversationId: 'c_someone_elses', text: 'Hi' });
    expect(await answer(visitor, 'm1')).toMatchObject({ type: 'error', code: 'CID_REUSED' });
    const ratings = await server.database.db.selectFrom('events').select('id').where('kind', '=', 'rating').execute();
    expect(ratings).toEqual([]);
  });
});
