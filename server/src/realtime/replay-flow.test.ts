// A conversation of any size can be resumed: replay sends a batch only as fast as the socket drains,
// so 500 long messages (megabytes) never overrun the socket's outgoing-buffer limit (1 MiB).
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { connect, newAgent, newVisitor, type Frame, type TestClient } from '../testing/client.js';
import { eventId } from '../core/ids.js';

const TEXT = 'x'.repeat(3990);
const MESSAGES = 2600; // 2,600 × about 4 KB: a 10 MB conversation

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Writes a 10 MB conversation of the visitor straight into the log (a visitor needs hours for it). */
async function bigConversation(server: TestServer, visitorId: string): Promise<string> {
  const { db } = server.database;
  const id = `c_big_${visitorId.slice(-8)}`;
  const at = Date.now();
  await db
    .insertInto('conversations')
    .values({
      id,
      site_key: 'demo',
      visitor_id: visitorId,
      status: 'assigned',
      assignee_id: null,
      last_seq: MESSAGES,
      last_visitor_seq: MESSAGES,
      visitor_read_seq: 0,
      agent_read_seq: 0,
      bot_state: '{}',
      handoff_reason: null,
      lang: 'en',
      queued_at: at,
      assigned_at: at,
      resolved_at: null,
      first_human_reply_at: null,
      proactive_rule_id: null,
      created_at: at,
      updated_at: at,
    })
    .execute();
  for (let from = 1; from <= MESSAGES; from += 200) {
    const rows = [];
    for (let seq = from; seq < from + 200 && seq <= MESSAGES; seq++) {
      rows.push({
        id: eventId(at + seq),
        conversation_id: id,
        seq,
        visitor_seq: seq,
        kind: 'message' as const,
        author_type: seq % 2 ? ('visitor' as const) : ('agent' as const),
        author_id: seq % 2 ? visitorId : 'a_someone',
        author_name: seq % 2 ? null : 'Agent',
        text: `${seq} ${TEXT}`,
        data: null,
        actor_key: null,
        cid: null,
        created_at: at + seq,
      });
    }
    await db.insertInto('events').values(rows).execute();
  }
  return id;
}

/** Follows replay.done { more } the way the widget and the console do, and returns every seq received. */
async function replayAll(client: TestClient, conversationId: string, again: (lastSeq: number) => unknown): Promise<number[]> {
  const handled = new Set<Frame>();
  for (;;) {
    const marker = await client.next((f) => f.type === 'replay.done' && f.conversationId === conversationId && !handled.has(f), 60_000);
    handled.add(marker);
    if (!marker.more) break;
    client.send(again(marker.lastSeq as number));
  }
  return client.frames.filter((f) => f.type === 'message.created' && f.conversationId === conversationId).map((f) => f.seq as number);
}

describe.each([false, true])('replay of a 10 MB conversation (postgres: %s)', (postgres) => {
  it('resumes the whole conversation for its visitor from seq 0', async () => {
    server = await startTestServer({ postgres });
    const { client: first, token, visitorId } = await newVisitor(server.url);
    first.close();
    const conversationId = await bigConversation(server, visitorId);
    const client = await connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, { token });
    client.send({ type: 'visitor.hello', resume: { conversationId, lastSeq: 0 } });
    const seqs = await replayAll(client, conversationId, (lastSeq) => ({ type: 'conversation.resume', conversationId, lastSeq }));
    expect(seqs).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.close();
  }, 120_000);

  it('replays the whole conversation to an agent subscribing from seq 0', async () => {
    server = await startTestServer({ postgres });
    const { client: visitor, visitorId } = await newVisitor(server.url);
    visitor.close();
    const conversationId = await bigConversation(server, visitorId);
    const { client } = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    client.send({ type: 'conversation.subscribe', conversationId, lastSeq: 0 });
    const seqs = await replayAll(client, conversationId, (lastSeq) => ({ type: 'conversation.subscribe', conversationId, lastSeq }));
    expect(seqs).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.close();
  }, 120_000);
});
