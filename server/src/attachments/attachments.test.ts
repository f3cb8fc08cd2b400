// Attachments against a real server over real HTTP and sockets, on SQLite and PostgreSQL: both
// directions, exactly once, replay and search, and the security rules of docs/attachments.md,
// each of which fails without the check it names.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken, newToken } from '../core/ids.js';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import {
  GIF_HTML_POLYGLOT,
  HEIC_WITH_GPS,
  HTML_AS_PNG,
  PDF,
  PLAIN_PNG,
  SECRET,
  SVG_WITH_SCRIPT,
  jpegWithGps,
  textFile,
  zipBomb,
} from '../testing/attachment-files.js';
import { exifOrientation } from './rewrite.js';
import { createDatabaseBlobStore } from './store.js';

type Visitor = Awaited<ReturnType<typeof newVisitor>>;
type Uploaded = {
  ack: { cid: string; conversationId: string; id: string; seq: number; duplicate?: boolean };
  attachment: Record<string, unknown>;
};

describe.each(['sqlite', 'postgres'] as const)('attachments on %s', (dialect) => {
  let server: TestServer;
  let cookie: string;
  beforeAll(async () => {
    server = await startTestServer({
      postgres: dialect === 'postgres',
      overrides: { autoAssign: false, attachmentUploadsPerMinute: 8, attachmentChunkBytes: 16 * 1024 },
    });
    cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(() => server.close());

  const visitorHeaders = (v: Pick<Visitor, 'token'>, site = 'demo') => ({ authorization: `Bearer ${v.token}`, 'x-servus-site': site });
  const upload = (v: Pick<Visitor, 'token'>, body: Buffer, q: Record<string, string>) =>
    fetch(`${server.url}/api/visitor/attachments?${new URLSearchParams(q)}`, {
      method: 'POST',
      headers: visitorHeaders(v),
      body: new Uint8Array(body),
    });
  const agentUpload = (conversationId: string, body: Buffer, q: Record<string, string>, as = cookie) =>
    fetch(`${server.url}/api/conversations/${conversationId}/attachments?${new URLSearchParams(q)}`, {
      method: 'POST',
      headers: { cookie: as, origin: server.url },
      body: new Uint8Array(body),
    });
  const visitorGet = (v: Pick<Visitor, 'token'>, id: string) =>
    fetch(`${server.url}/api/visitor/attachments/${id}`, { headers: visitorHeaders(v) });
  const agentGet = (id: string, as = cookie) => fetch(`${server.url}/api/attachments/${id}`, { headers: { cookie: as } });
  const patchSite = async (settings: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/api/sites/demo/settings`, {
      method: 'PATCH',
      headers: { cookie, origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ settings }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const uploadingRows = async () =>
    Number(
      (await server.database.db
        .selectFrom('attachments')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('status', '=', 'uploading')
        .executeTakeFirst())!.n,
    );

  it('sends a photo from visitor to agent once, without its GPS metadata, as a logged event with its facts', async () => {
    const v = await newVisitor(server.url);
    const photo = jpegWithGps();
    const res = await upload(v, photo, { cid: 'up-1', name: 'C:\\Users\\me\\Schaden Paket.jpg' });
    expect(res.status).toBe(201);
    const first = (await res.json()) as Uploaded;
    expect(first.attachment).toMatchObject({ name: 'Schaden Paket.jpg', type: 'image/jpeg', width: 48, height: 64, inline: true });
    expect(first.attachment.id).toMatch(/^f_[A-Za-z0-9_-]{22}$/);
    // The visitor's socket hears it like a message, in their sequence.
    const frame = await v.client.next((f) => f.type === 'message.created');
    expect(frame.seq).toBe(first.ack.seq);
    expect((frame.message as { attachment: unknown; text: string }).attachment).toEqual(first.attachment);

    // A retry (the connection dropped before the answer) is the same upload, stored once.
    const retry = await upload(v, photo, { cid: 'up-1', name: 'Schaden Paket.jpg' });
    expect(retry.status).toBe(200);
    const again = (await retry.json()) as Uploaded;
    expect(again.ack).toMatchObject({ id: first.ack.id, seq: first.ack.seq, duplicate: true });
    expect(again.attachment).toEqual(first.attachment);
    const events = await server.database.db
      .selectFrom('events')
      .select('id')
      .where('conversation_id', '=', first.ack.conversationId)
      .execute();
    expect(events).toHaveLength(1);
    expect(await server.attachments.listForConversation(first.ack.conversationId)).toHaveLength(1);

    // Both sides download it: the same bytes, without the GPS block, the camera or the comment.
    for (const got of [await visitorGet(v, first.attachment.id as string), await agentGet(first.attachment.id as string)]) {
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/jpeg');
      expect(got.headers.get('content-disposition')).toMatch(/^inline; filename="Schaden Paket.jpg"/);
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(got.headers.get('content-security-policy')).toContain('sandbox');
      const bytes = Buffer.from(await got.arrayBuffer());
      expect(bytes.length).toBe(first.attachment.size);
      expect(bytes.includes(SECRET)).toBe(false);
      expect(bytes.includes(Buffer.from([0x88, 0x25]))).toBe(false); // no GPSInfo tag
      expect(exifOrientation(bytes.subarray(bytes.indexOf(Buffer.from('Exif\0\0', 'latin1'))))).toBe(6);
    }
    // The agents' replay, search by file name, and the list's preview show it.
    const log = (await (
      await fetch(`${server.url}/api/conversations/${first.ack.conversationId}/events`, { headers: { cookie } })
    ).json()) as {
      events: { message?: { attachment?: unknown } }[];
    };
    expect(log.events[0]!.message!.attachment).toEqual(first.attachment);
    const found = (await (await fetch(`${server.url}/api/conversations?q=Schaden%20Paket`, { headers: { cookie } })).json()) as {
      conversations: { id: string; lastMessage: { attachment?: unknown } }[];
    };
    expect(found.conversations.map((c) => c.id)).toEqual([first.ack.conversationId]);
    expect(found.conversations[0]!.lastMessage.attachment).toEqual({ name: 'Schaden Paket.jpg', type: 'image/jpeg' });
    v.client.close();
  });

  it('sends a PDF from agent to visitor as a download only', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'm1', text: 'Where is my invoice?' });
    const conversationId = (await v.client.next((f) => f.type === 'ack')).conversationId as string;
    const res = await agentUpload(conversationId, PDF, { cid: 'a-up-1', name: 'Rechnung 4711.pdf' });
    expect(res.status, await res.clone().text()).toBe(201);
    const sent = (await res.json()) as Uploaded;
    expect(sent.attachment).toMatchObject({ type: 'application/pdf', inline: false, size: PDF.length });
    const frame = await v.client.next(
      (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'agent',
    );
    expect((frame.message as { attachment: unknown }).attachment).toEqual(sent.attachment);
    // Answering took the conversation, and counts as its first human reply.
    const row = await server.database.db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirstOrThrow();
    expect(row.status).toBe('assigned');
    expect(row.first_human_reply_at).not.toBeNull();
    const got = await visitorGet(v, sent.attachment.id as string);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="Rechnung 4711.pdf"/);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PDF);
    v.client.close();
  });

  it('gives another visitor, a wrong token, no token and an agent of another site the same answer as a missing file', async () => {
    const owner = await newVisitor(server.url);
    const sent = (await (await upload(owner, PLAIN_PNG(), { cid: 'own', name: 'mine.png' })).json()) as Uploaded;
    const id = sent.attachment.id as string;
    const other = await newVisitor(server.url);
    const missing = await visitorGet(other, 'f_AAAAAAAAAAAAAAAAAAAAAA');
    const stolen = await visitorGet(other, id);
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).toBe(await missing.text());
    expect((await visitorGet({ token: newToken() }, id)).status).toBe(401);
    expect((await fetch(`${server.url}/api/visitor/attachments/${id}`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/visitor/attachments/${id}`, { headers: visitorHeaders(owner, 'elsewhere') })).status).toBe(401);
    expect((await fetch(`${server.url}/api/attachments/${id}`)).status).toBe(401);
    // Over the socket: the other visitor cannot resume the owner's conversation to see it.
    other.client.send({ type: 'conversation.resume', conversationId: sent.ack.conversationId, lastSeq: 0 });
    expect(await other.client.next((f) => f.type === 'error')).toMatchObject({ code: 'NOT_FOUND' });
    expect(other.client.frames.some((f) => JSON.stringify(f).includes(id))).toBe(false);
    // Nor upload into it.
    expect((await upload(other, PLAIN_PNG(), { cid: 'x', name: 'x.png', conversationId: sent.ack.conversationId })).status).toBe(404);
    // An agent of another site only.
    const db = server.database.db;
    await db
      .insertInto('sites')
      .values({ key: 'other', name: 'Other', secret: 's'.repeat(32), settings: '{}', created_at: Date.now() })
      .execute();
    await db
      .insertInto('agents')
      .values({
        id: 'ag_other',
        email: 'other@example.com',
        name: 'Other',
        role: 'agent',
        password_hash: 'x',
        capacity: 3,
        created_at: Date.now(),
      })
      .execute();
    await db.insertInto('agent_sites').values({ agent_id: 'ag_other', site_key: 'other' }).execute();
    const token = newToken();
    await db
      .insertInto('sessions')
      .values({ token_hash: hashToken(token), agent_id: 'ag_other', created_at: Date.now(), expires_at: Date.now() + 60_000 })
      .execute();
    const foreign = await agentGet(id, `servus_session=${token}`);
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toBe(await (await agentGet('f_AAAAAAAAAAAAAAAAAAAAAA', `servus_session=${token}`)).text());
    expect((await agentUpload(sent.ack.conversationId, PDF, { cid: 'f', name: 'f.pdf' }, `servus_session=${token}`)).status).toBe(404);
    // Guessing: ids are 128 random bits; a malformed one is the same 404.
    expect((await visitorGet(owner, '1')).status).toBe(404);
    expect((await visitorGet(owner, id)).status).toBe(200);
    owner.client.close();
    other.client.close();
  });

  it('refuses an SVG with script, HTML named .png, a zip bomb named .jpg and a GIF/HTML polyglot by their bytes', async () => {
    const v = await newVisitor(server.url);
    const cases: [Buffer, string][] = [
      [SVG_WITH_SCRIPT, 'cute.svg'],
      [HTML_AS_PNG, 'screenshot.png'],
      [zipBomb(), 'holiday.jpg'],
      [GIF_HTML_POLYGLOT, 'funny.gif'],
    ];
    for (const [i, [body, name]] of cases.entries()) {
      const res = await upload(v, body, { cid: `bad-${i}`, name });
      expect(res.status, name).toBe(415);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_TYPE');
    }
    expect(await uploadingRows()).toBe(0);
    v.client.close();
  });

  it('serves markup a site allows only as a sandboxed download, and a zip as it came (never unpacked)', async () => {
    await patchSite({ attachments: { types: ['image/svg+xml', 'text/html', 'application/zip', 'image/png'] } });
    try {
      const v = await newVisitor(server.url);
      for (const [body, name, cid] of [
        [SVG_WITH_SCRIPT, 'cute.svg', 'svg'],
        [HTML_AS_PNG, 'screenshot.png', 'html'],
        [zipBomb(), 'holiday.jpg', 'zip'],
      ] as const) {
        const sent = (await (await upload(v, body, { cid, name })).json()) as Uploaded;
        expect(sent.attachment.inline).toBe(false);
        for (const got of [await visitorGet(v, sent.attachment.id as string), await agentGet(sent.attachment.id as string)]) {
          expect(got.headers.get('content-type')).toBe('application/octet-stream');
          expect(got.headers.get('content-disposition')).toMatch(/^attachment;/);
          expect(got.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
          expect(got.headers.get('x-content-type-options')).toBe('nosniff');
          expect(Buffer.from(await got.arrayBuffer())).toEqual(body);
        }
      }
      v.client.close();
    } finally {
      await patchSite({ attachments: null });
    }
  });

  it('refuses an iPhone’s HEIC photo by default; where a site takes it, stores it with its GPS blanked, as a download', async () => {
    const v = await newVisitor(server.url);
    const photo = HEIC_WITH_GPS();
    const refused = await upload(v, photo, { cid: 'heic-default', name: 'IMG_0042.HEIC' });
    expect(refused.status).toBe(415);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'Files of type image/heic are not accepted here.',
    );
    await patchSite({ attachments: { types: ['image/jpeg', 'image/heic', 'image/heif'] } });
    try {
      const res = await upload(v, photo, { cid: 'heic', name: 'IMG_0042.HEIC' });
      expect(res.status, await res.clone().text()).toBe(201);
      const sent = (await res.json()) as Uploaded;
      expect(sent.attachment).toMatchObject({ name: 'IMG_0042.HEIC', type: 'image/heic', size: photo.length, inline: false });
      // 16 KB chunks in this server: read back in batches across chunk boundaries, as stored.
      for (const got of [await visitorGet(v, sent.attachment.id as string), await agentGet(sent.attachment.id as string)]) {
        expect(got.headers.get('content-type')).toBe('application/octet-stream');
        expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="IMG_0042.HEIC"/);
        const bytes = Buffer.from(await got.arrayBuffer());
        expect(bytes.length).toBe(photo.length);
        expect(bytes.includes(SECRET)).toBe(false);
        expect([...bytes.keys()].every((i) => bytes[i] === photo[i] || bytes[i] === 0)).toBe(true);
      }
      v.client.close();
    } finally {
      await patchSite({ attachments: null });
    }
  });

  it('reads a file back whole and in order in batches of chunks, and says when a chunk is missing', async () => {
    const v = await newVisitor(server.url);
    // Numbered lines, so a chunk out of place shows: 7 chunks of 16 KB in this server.
    const body = Buffer.from(
      Array.from({ length: 6_000 }, (_, i) => `line ${String(i).padStart(12, '0')}\n`)
        .join('')
        .slice(0, 100_000),
    );
    const sent = (await (await upload(v, body, { cid: 'batches', name: 'lines.txt' })).json()) as Uploaded;
    const id = sent.attachment.id as string;
    expect(Buffer.from(await (await visitorGet(v, id)).arrayBuffer())).toEqual(body);
    // The store itself, with batches of two chunks: the first chunk alone, then 2, 2, 2.
    const store = createDatabaseBlobStore(server.database.db, { readBatchBytes: 40_000, dialect: server.database.dialect });
    const read = async () => {
      const parts: Buffer[] = [];
      for await (const part of store.read(id, 7)) parts.push(part);
      return Buffer.concat(parts);
    };
    expect(await read()).toEqual(body);
    await server.database.db.deleteFrom('attachment_chunks').where('attachment_id', '=', id).where('n', '=', 4).execute();
    await expect(read()).rejects.toThrow(`attachment ${id} lacks chunks of 3 to 4`);
    v.client.close();
  });

  it('refuses a file over the site’s limit before reading it, and one that grows past it', async () => {
    await patchSite({ attachments: { maxBytes: 50_000 } });
    try {
      const v = await newVisitor(server.url);
      const res = await upload(v, textFile(50_001), { cid: 'big', name: 'big.txt' });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
      // Without a Content-Length (chunked), the server counts: refused, nothing kept.
      const chunked = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${server.url}/api/visitor/attachments?cid=chunked&name=a.txt`,
          { method: 'POST', headers: visitorHeaders(v) },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(textFile(30_000)); // written before end(): sent chunked, without a Content-Length
        req.end(textFile(30_000));
      });
      expect(chunked).toBe(411);
      expect((await upload(v, textFile(49_000), { cid: 'fits', name: 'fits.txt' })).status).toBe(201);
      expect(await uploadingRows()).toBe(0);
      v.client.close();
    } finally {
      await patchSite({ attachments: null });
    }
  });

  it('answers a refusal found in the first bytes of a large upload, rather than cutting the connection', async () => {
    await patchSite({ attachments: { types: ['image/png'] } });
    try {
      const v = await newVisitor(server.url);
      const res = await upload(v, textFile(3_000_000), { cid: 'big-text', name: 'log.png' });
      expect(res.status).toBe(415);
      expect(await uploadingRows()).toBe(0);
      // The connection is still good for the next request.
      expect((await upload(v, PLAIN_PNG(), { cid: 'after', name: 'a.png' })).status).toBe(201);
      v.client.close();
    } finally {
      await patchSite({ attachments: null });
    }
  });

  it('keeps nothing of an upload cut off halfway, and stores the retry once', async () => {
    const v = await newVisitor(server.url);
    const body = textFile(200_000);
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/api/visitor/attachments?cid=cut&name=log.txt`, {
        method: 'POST',
        headers: { ...visitorHeaders(v), 'content-length': String(body.length) },
      });
      req.on('error', () => resolve());
      req.write(body.subarray(0, 70_000), () => {
        // The server has started storing chunks: then the line drops.
        void vi.waitFor(async () => expect(await uploadingRows()).toBe(1), { timeout: 5000, interval: 20 }).then(() => req.destroy());
      });
    });
    await vi.waitFor(async () => expect(await uploadingRows()).toBe(0), { timeout: 5000, interval: 20 });
    const orphans = await server.database.db
      .selectFrom('attachment_chunks')
      .leftJoin('attachments', 'attachments.id', 'attachment_chunks.attachment_id')
      .select('attachment_chunks.n')
      .where('attachments.id', 'is', null)
      .execute();
    expect(orphans).toHaveLength(0);
    const retried = await upload(v, body, { cid: 'cut', name: 'log.txt' });
    expect(retried.status).toBe(201);
    const sent = (await retried.json()) as Uploaded;
    expect(sent.attachment.size).toBe(body.length);
    expect(Buffer.from(await (await visitorGet(v, sent.attachment.id as string)).arrayBuffer())).toEqual(body);
    v.client.close();
  });

  it('holds a conversation to its number of files, and a visitor to their uploads per minute', async () => {
    await patchSite({ attachments: { maxPerConversation: 2 } });
    try {
      const v = await newVisitor(server.url);
      const a = (await (await upload(v, textFile(10), { cid: 'n1', name: '1.txt' })).json()) as Uploaded;
      expect((await upload(v, textFile(10), { cid: 'n2', name: '2.txt', conversationId: a.ack.conversationId })).status).toBe(201);
      const third = await upload(v, textFile(10), { cid: 'n3', name: '3.txt', conversationId: a.ack.conversationId });
      expect(third.status).toBe(409);
      expect(((await third.json()) as { error: { code: string } }).error.code).toBe('LIMIT_REACHED');
      expect(await uploadingRows()).toBe(0);
    } finally {
      await patchSite({ attachments: null });
    }
    const v = await newVisitor(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 9; i++) statuses.push((await upload(v, textFile(10), { cid: `r${i}`, name: 'r.txt' })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 201, 201, 429]);
    v.client.close();
  });

  it('deletes a conversation’s files, bytes and all, for an erasure', async () => {
    const v = await newVisitor(server.url);
    const sent = (await (await upload(v, textFile(40_000), { cid: 'gone', name: 'gone.txt' })).json()) as Uploaded;
    const chunks = () =>
      server.database.db
        .selectFrom('attachment_chunks')
        .select('n')
        .where('attachment_id', '=', sent.attachment.id as string)
        .execute();
    expect((await chunks()).length).toBe(3); // 16 KB chunks in this server
    expect(await server.attachments.deleteForConversation([sent.ack.conversationId])).toBe(1);
    expect(await chunks()).toHaveLength(0);
    expect(await server.attachments.listForConversation(sent.ack.conversationId)).toEqual([]);
    expect((await visitorGet(v, sent.attachment.id as string)).status).toBe(404);
    v.client.close();
  });

  it('takes no files where a site turned them off, and tells the widget', async () => {
    await patchSite({ attachments: { enabled: false } });
    try {
      const v = await newVisitor(server.url);
      expect((await upload(v, PLAIN_PNG(), { cid: 'off', name: 'a.png' })).status).toBe(403);
      const config = (await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { attachments: unknown } };
      expect(config.site.attachments).toBeNull();
      v.client.close();
    } finally {
      await patchSite({ attachments: null });
    }
    const config = (await (await fetch(`${server.url}/api/widget/config?site=demo`)).json()) as { site: { attachments: unknown } };
    expect(config.site.attachments).toMatchObject({ maxBytes: 10 * 1024 * 1024 });
  });
});
