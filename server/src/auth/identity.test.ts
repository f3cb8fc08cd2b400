// Identity from the site's own login: a JWT (HS256, site secret, exp required) or the HMAC hash; a
// verified user's conversations on other devices become one history, and a new device continues the
// open one, live and exactly once; an unverified identity links nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { identityHash } from '../core/ids.js';
import { signIdentityJwt, verifyIdentityJwt } from './identity-token.js';

const SECRET = 'site-secret-for-tests';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('verifyIdentityJwt', () => {
  it('accepts an HS256 token with sub and exp, and reads name and email', () => {
    const jwt = signIdentityJwt({ sub: 'u-42', exp: inAnHour(), name: 'Jo', email: 'jo@example.com' }, SECRET);
    expect(verifyIdentityJwt(jwt, SECRET)).toEqual({ id: 'u-42', name: 'Jo', email: 'jo@example.com' });
  });

  it.each([
    ['a wrong signature', signIdentityJwt({ sub: 'u', exp: inAnHour() }, 'another-secret'), /wrong signature/],
    ['an expired token', signIdentityJwt({ sub: 'u', exp: Math.floor(Date.now() / 1000) - 120 }, SECRET), /expired/],
    ['a token without exp', signIdentityJwt({ sub: 'u' }, SECRET), /needs an exp/],
    ['a non-numeric exp', signIdentityJwt({ sub: 'u', exp: 'tomorrow' }, SECRET), /needs an exp/],
    ['a token without sub', signIdentityJwt({ exp: inAnHour() }, SECRET), /needs a sub/],
    ['a token not valid yet', signIdentityJwt({ sub: 'u', exp: inAnHour(), nbf: inAnHour() - 60 }, SECRET), /not valid yet/],
    [
      'alg none',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', exp: inAnHour() })).toString('base64url')}.`,
      /HS256/,
    ],
    ['alg HS512', signIdentityJwt({ sub: 'u', exp: inAnHour() }, SECRET, 'HS512'), /HS256/],
    ['garbage', 'not.a.jwt', /not a JWT/],
  ])('refuses %s', (_what, jwt, message) => {
    expect(() => verifyIdentityJwt(jwt, SECRET)).toThrow(message);
  });

  it('refuses everything when the site has no secret', () => {
    expect(() => verifyIdentityJwt(signIdentityJwt({ sub: 'u', exp: inAnHour() }, SECRET), null)).toThrow(/no secret/);
  });
});

describe('history across devices', () => {
  let server: TestServer;
  let siteSecret: string;
  beforeAll(async () => {
    // A resolved conversation is not reopened: a device writing after it starts a new one.
    server = await startTestServer({ overrides: { autoAssign: false, reopenWindowSeconds: 0 } });
    siteSecret = (await server.database.db.selectFrom('sites').select('secret').where('key', '=', 'demo').executeTakeFirstOrThrow()).secret;
  });
  afterAll(() => server.close());

  const visitorApi = (token: string, path: string) =>
    fetch(`${server.url}/api/visitor${path}`, { headers: { authorization: `Bearer ${token}`, 'x-servus-site': 'demo' } });
  const history = async (token: string) =>
    ((await (await visitorApi(token, '/conversations')).json()) as { conversations: { id: string }[] }).conversations.map((c) => c.id);

  async function deviceWith(identify: Record<string, unknown> | null, text: string | null) {
    const v = await newVisitor(server.url);
    if (identify) {
      v.client.send({ type: 'visitor.identify', cid: 'id1', ...identify });
      await v.client.next((f) => f.cid === 'id1');
    }
    let conversationId: string | null = null;
    if (text) {
      v.client.send({ type: 'message.send', cid: 'm1', text });
      conversationId = (await v.client.next((f) => f.type === 'ack' && f.cid === 'm1')).conversationId as string;
    }
    return { ...v, conversationId };
  }

  it('links a JWT-verified user’s conversations on other devices, for the visitor and the agents, and nothing else', async () => {
    const jwt = () => signIdentityJwt({ sub: 'u-42', exp: inAnHour(), name: 'Jo', email: 'jo@example.com' }, siteSecret);
    const phone = await deviceWith({ jwt: jwt() }, 'Asked on my phone');
    // Done on the phone: the laptop starts a conversation of its own (an open one would be continued).
    phone.client.send({ type: 'conversation.close', cid: 'c1', conversationId: phone.conversationId! });
    await phone.client.next((f) => f.cid === 'c1');
    const laptop = await deviceWith({ jwt: jwt() }, 'Now on my laptop');
    expect(laptop.conversationId).not.toBe(phone.conversationId);
    expect((await history(laptop.token)).sort()).toEqual([phone.conversationId, laptop.conversationId].sort());
    const events = await visitorApi(laptop.token, `/conversations/${phone.conversationId}/events`);
    expect(events.status).toBe(200);
    expect(((await events.json()) as { events: { message?: { text: string } }[] }).events[0]!.message!.text).toBe('Asked on my phone');
    // The HMAC identify of the same user links too.
    const tablet = await deviceWith({ id: 'u-42', hash: identityHash('u-42', siteSecret) }, null);
    expect(await history(tablet.token)).toHaveLength(2);

    // Unverified: the same email from a pre-chat form, a refused JWT, an expired one: nothing linked, nothing readable.
    const form = await newVisitor(server.url);
    form.client.send({ type: 'visitor.profile', cid: 'p1', email: 'jo@example.com', name: 'Jo' });
    await form.client.next((f) => f.cid === 'p1');
    const forged = await newVisitor(server.url);
    forged.client.send({ type: 'visitor.identify', cid: 'id1', jwt: signIdentityJwt({ sub: 'u-42', exp: inAnHour() }, 'guessed-secret') });
    expect(await forged.client.next((f) => f.cid === 'id1')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    const expired = await newVisitor(server.url);
    expired.client.send({ type: 'visitor.identify', cid: 'id1', jwt: signIdentityJwt({ sub: 'u-42', exp: 1 }, siteSecret) });
    expect(await expired.client.next((f) => f.cid === 'id1')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    const noExp = await newVisitor(server.url);
    noExp.client.send({ type: 'visitor.identify', cid: 'id1', jwt: signIdentityJwt({ sub: 'u-42' }, siteSecret) });
    expect(await noExp.client.next((f) => f.cid === 'id1')).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    for (const v of [form, forged, expired, noExp]) {
      expect(await history(v.token)).toEqual([]);
      expect((await visitorApi(v.token, `/conversations/${phone.conversationId}/events`)).status).toBe(404);
    }
    const row = await server.database.db
      .selectFrom('visitors')
      .select(['verified', 'external_id'])
      .where('id', '=', forged.visitorId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ verified: 0, external_id: null });

    // The agents see the user's earlier conversation from the other device.
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const detail = (await (await fetch(`${server.url}/api/conversations/${laptop.conversationId}`, { headers: { cookie } })).json()) as {
      earlier: { id: string }[];
      visitor: { verified: boolean; name: string };
    };
    expect(detail.earlier.map((c) => c.id)).toEqual([phone.conversationId]);
    expect(detail.visitor).toMatchObject({ verified: true, name: 'Jo' });
    // A visitor without an identity has no earlier conversations of anyone else.
    const formConv = await deviceWith(null, 'no identity');
    const alone = (await (await fetch(`${server.url}/api/conversations/${formConv.conversationId}`, { headers: { cookie } })).json()) as {
      earlier: unknown[];
    };
    expect(alone.earlier).toEqual([]);
    for (const v of [phone, laptop, tablet, form, forged, expired, noExp, formConv]) v.client.close();
  });

  it('continues a verified user’s open conversation on a new device, live and exactly once; an unverified device cannot', async () => {
    const jwt = () => signIdentityJwt({ sub: 'u-77', exp: inAnHour(), name: 'Vroni' }, siteSecret);
    const phone = await deviceWith({ jwt: jwt() }, 'Started on my phone');
    const conversationId = phone.conversationId!;
    // The laptop identifies: its ack names the open conversation, which is replayed to it at once.
    const laptop = await newVisitor(server.url);
    laptop.client.send({ type: 'visitor.identify', cid: 'id1', jwt: jwt() });
    expect(await laptop.client.next((f) => f.cid === 'id1')).toMatchObject({ type: 'ack', conversationId });
    const replayed = await laptop.client.next((f) => f.type === 'message.created' && f.conversationId === conversationId);
    expect((replayed.message as { text: string }).text).toBe('Started on my phone');
    await laptop.client.next((f) => f.type === 'replay.done' && f.conversationId === conversationId);

    // A message from the laptop (no conversation named, as the widget sends it) goes into that conversation,
    // live on both devices; sent again with the same cid, it is stored once.
    laptop.client.send({ type: 'message.send', cid: 'l1', text: 'Now from my laptop' });
    const ack = await laptop.client.next((f) => f.type === 'ack' && f.cid === 'l1');
    expect(ack.conversationId).toBe(conversationId);
    const isMine = (f: Record<string, unknown>) =>
      f.type === 'message.created' && (f.message as { text: string }).text === 'Now from my laptop' && f.conversationId === conversationId;
    await laptop.client.next(isMine);
    await phone.client.next(isMine);
    laptop.client.send({ type: 'message.send', cid: 'l1', text: 'Now from my laptop' });
    expect(await laptop.client.next((f) => f.type === 'ack' && f.cid === 'l1' && f.duplicate === true)).toMatchObject({ id: ack.id });
    // An agent's answer reaches both devices live.
    const { client: agent } = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.send({ type: 'message.send', cid: 'a1', conversationId, text: 'Hello Vroni' });
    await agent.next((f) => f.cid === 'a1');
    const isAnswer = (f: Record<string, unknown>) => f.type === 'message.created' && (f.message as { text: string }).text === 'Hello Vroni';
    await laptop.client.next(isAnswer);
    await phone.client.next(isAnswer);
    const stored = await server.database.db
      .selectFrom('events')
      .select('text')
      .where('conversation_id', '=', conversationId)
      .where('kind', '=', 'message')
      .where('text', '=', 'Now from my laptop')
      .execute();
    expect(stored).toHaveLength(1);
    // Every message frame at most once on each device.
    for (const client of [laptop.client, phone.client]) {
      const seqs = client.frames
        .filter((f) => f.type === 'message.created' && f.conversationId === conversationId)
        .map((f) => f.seq as number);
      expect(new Set(seqs).size).toBe(seqs.length);
    }

    // A visitor whose identify was refused writes into and reads nothing of it.
    const forged = await newVisitor(server.url);
    forged.client.send({ type: 'visitor.identify', cid: 'id1', jwt: signIdentityJwt({ sub: 'u-77', exp: inAnHour() }, 'guessed-secret') });
    await forged.client.next((f) => f.cid === 'id1');
    forged.client.send({ type: 'message.send', cid: 'f1', conversationId, text: 'let me in' });
    expect(await forged.client.next((f) => f.cid === 'f1')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    forged.client.send({ type: 'message.send', cid: 'f2', text: 'hello?' });
    expect((await forged.client.next((f) => f.cid === 'f2')).conversationId).not.toBe(conversationId);
    forged.client.send({ type: 'conversation.resume', conversationId, lastSeq: 0 });
    expect(await forged.client.next((f) => f.type === 'error' && f.cid === undefined)).toMatchObject({ code: 'NOT_FOUND' });
    expect(forged.client.frames.some((f) => f.type === 'message.created' && f.conversationId === conversationId)).toBe(false);
    for (const c of [phone.client, laptop.client, forged.client, agent]) c.close();
  });

  it('refuses a frame with both a hash and a JWT, or neither', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.identify', cid: 'b1', id: 'u', hash: identityHash('u', siteSecret), jwt: 'a.b.c' });
    expect(await v.client.next((f) => f.cid === 'b1')).toMatchObject({ type: 'error', code: 'BAD_FRAME' });
    v.client.send({ type: 'visitor.identify', cid: 'b2', id: 'u' });
    expect(await v.client.next((f) => f.cid === 'b2')).toMatchObject({ type: 'error', code: 'BAD_FRAME' });
    v.client.close();
  });
});
