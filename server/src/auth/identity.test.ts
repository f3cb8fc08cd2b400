// Identity from the site's own login: a JWT (HS256, site secret, exp required) or the HMAC hash; a
// verified user's conversations on other devices become one history; an unverified identity links nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { login, newVisitor } from '../testing/client.js';
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
    server = await startTestServer({ overrides: { autoAssign: false } });
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
    const laptop = await deviceWith({ jwt: jwt() }, 'Now on my laptop');
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

  it('refuses a frame with both a hash and a JWT, or neither', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.identify', cid: 'b1', id: 'u', hash: identityHash('u', siteSecret), jwt: 'a.b.c' });
    expect(await v.client.next((f) => f.cid === 'b1')).toMatchObject({ type: 'error', code: 'BAD_FRAME' });
    v.client.send({ type: 'visitor.identify', cid: 'b2', id: 'u' });
    expect(await v.client.next((f) => f.cid === 'b2')).toMatchObject({ type: 'error', code: 'BAD_FRAME' });
    v.client.close();
  });
});
