// Graceful shutdown: no new connections, open sockets closed with 1001, queued writes committed.
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../testing/in-process.js';
import { connect, newVisitor } from '../testing/client.js';

describe('graceful shutdown', () => {
  it('closes sockets with 1001, commits what was acknowledged, and refuses new connections', async () => {
    const server = await startTestServer();
    const { client } = await newVisitor(server.url);
    client.send({ type: 'message.send', cid: 'last-words', text: 'bye' });
    const ack = await client.next((f) => f.type === 'ack');
    const stopping = server.stop();
    const { code } = await client.closed;
    expect(code).toBe(1001);
    await stopping;
    await expect(connect(`${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`)).rejects.toThrow();
    // The database was closed cleanly: reopen it and find the message.
    const { openDatabase } = await import('../storage/db.js');
    const reopened = await openDatabase({ dataDir: server.dataDir });
    const row = await reopened.db
      .selectFrom('events')
      .select('text')
      .where('id', '=', ack.id as string)
      .executeTakeFirst();
    expect(row?.text).toBe('bye');
    await reopened.close();
    await server.close();
  });
});
