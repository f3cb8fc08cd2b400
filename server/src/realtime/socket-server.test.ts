// Bad input and access, over real sockets against a real server and a real SQLite file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { connect, newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import type { BotResponder } from '../bot/index.js';

const echoBot: BotResponder = {
  reply: (_site, input) => ({
    kind: 'answer',
    text: `echo: ${input.text}`,
    lang: 'en',
    confidence: 1,
    suggestions: [],
    offerHandoff: false,
    state: {},
  }),
};

let server: TestServer;
let ws: string;

beforeAll(async () => {
  server = await startTestServer({
    bots: echoBot,
    overrides: { authTimeoutSeconds: 0.3, visitorMessagesPerWindow: 20, framesPerWindow: 200 },
  });
  ws = server.url.replace(/^http/, 'ws');
});
afterAll(() => server.close());

/** A visitor that keeps working is how we know the server survived. */
async function assertServing(): Promise<void> {
  const { client } = await newVisitor(server.url);
  client.send({ type: 'message.send', cid: 'alive-1', text: 'still there?' });
  const ack = await client.next((f) => f.type === 'ack' && f.cid === 'alive-1');
  expect(ack.seq).toBe(1);
  client.close();
}

describe('bad input', () => {
  it('answers non-JSON, unknown types and wrong field types with error frames and keeps the socket', async () => {
    const { client } = await newVisitor(server.url);
    client.sendRaw('not json {');
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'BAD_JSON' });
    client.send({ type: 'bogus.verb', cid: 'x1' });
    expect(await client.next((f) => f.type === 'error' && f.code === 'UNKNOWN_TYPE')).toMatchObject({ cid: 'x1' });
    client.send({ type: 'message.send', cid: 'x2', text: 42 });
    expect(await client.next((f) => f.type === 'error' && f.cid === 'x2')).toMatchObject({ code: 'BAD_FRAME', path: 'text' });
    client.send({ type: 'message.send', cid: 'x3', text: { $ne: null } });
    expect(await client.next((f) => f.type === 'error' && f.cid === 'x3')).toMatchObject({ code: 'BAD_FRAME', path: 'text' });
    client.send({ type: 'message.send', cid: { $ne: null }, text: 'hi' });
    expect(await client.next((f) => f.type === 'error' && f.path === 'cid')).toMatchObject({ code: 'BAD_FRAME' });
    client.send({ type: 'conversation.read', conversationId: { $gt: '' }, seq: 1 });
    expect(await client.next((f) => f.type === 'error' && f.path === 'conversationId')).toMatchObject({ code: 'BAD_FRAME' });
    client.send([1, 2, 3]);
    expect(await client.next((f) => f.type === 'error' && f.code === 'BAD_FRAME' && !f.path)).toBeTruthy();
    client.send({ type: 'message.send', cid: 'x4', text: 'a'.repeat(4001) });
    expect(await client.next((f) => f.type === 'error' && f.cid === 'x4')).toMatchObject({ code: 'BAD_FRAME', path: 'text' });
    client.sendRaw(Buffer.from('{"type":"x"}'), { binary: true });
    expect(await client.next((f) => f.type === 'error' && f.message === 'Send JSON text frames.')).toMatchObject({ code: 'BAD_FRAME' });
    // The socket still works.
    client.send({ type: 'message.send', cid: 'ok-1', text: 'hello' });
    expect(await client.next((f) => f.type === 'ack' && f.cid === 'ok-1')).toMatchObject({ seq: 1 });
    client.close();
  });

  it('closes a 1 MB frame with 1009 and keeps serving others', async () => {
    const { client } = await newVisitor(server.url);
    client.sendRaw('x'.repeat(1024 * 1024));
    expect((await client.closed).code).toBe(1009);
    await assertServing();
  });

  it('closes invalid UTF-8 with 1007', async () => {
    const { client } = await newVisitor(server.url);
    client.sendRaw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect((await client.closed).code).toBe(1007);
    await assertServing();
  });

  it('closes a socket that never says hello with 1008 after the auth timeout', async () => {
    const client = await connect(`${ws}/ws/visitor?site=demo`);
    const { code } = await client.closed;
    expect(code).toBe(1008);
    expect(client.frames).toContainEqual(expect.objectContaining({ type: 'error', code: 'AUTH_TIMEOUT' }));
  });

  it('refuses commands before hello', async () => {
    const client = await connect(`${ws}/ws/visitor?site=demo`);
    client.send({ type: 'message.send', cid: 'early', text: 'hi' });
    expect(await client.next((f) => f.type === 'error')).toMatchObject({ code: 'UNAUTHORIZED', cid: 'early' });
    client.close();
  });

  it('rate-limits a flood of 1,000 messages in a second from one visitor while others are unaffected', async () => {
    const flooder = await newVisitor(server.url);
    const other = await newVisitor(server.url);
    for (let i = 0; i < 1000; i++) flooder.client.send({ type: 'message.send', cid: `f${i}`, text: `flood ${i}` });
    const { code } = await flooder.client.closed;
    expect(code).toBe(1008);
    const acks = flooder.client.frames.filter((f) => f.type === 'ack');
    const limited = flooder.client.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
    expect(acks.length).toBeLessThanOrEqual(20);
    expect(limited.length).toBeGreaterThan(0);
    // The other visitor sends and is answered normally, at once.
    other.client.send({ type: 'message.send', cid: 'calm-1', text: 'hello' });
    expect(await other.client.next((f) => f.type === 'ack' && f.cid === 'calm-1')).toMatchObject({ seq: 1 });
    expect(
      await other.client.next((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot'),
    ).toBeTruthy();
    other.client.close();
  });

  it('refuses upgrades without the sub-protocol, for unknown sites, and with bad tokens', async () => {
    await expect(connect(`${ws}/ws/visitor?site=demo`, { protocols: ['chat'] })).rejects.toMatchObject({ status: 400 });
    await expect(connect(`${ws}/ws/visitor?site=nope`)).rejects.toMatchObject({ status: 404 });
    await expect(connect(`${ws}/ws/visitor?site=demo`, { token: 'A'.repeat(43) })).rejects.toMatchObject({ status: 401 });
    await expect(connect(`${ws}/ws/nowhere`)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses agent sockets without a session or from another origin', async () => {
    await expect(connect(`${ws}/ws/agent`, { origin: server.url })).rejects.toMatchObject({ status: 401 });
    const { cookie } = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    await expect(connect(`${ws}/ws/agent`, { cookie, origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    await expect(connect(`${ws}/ws/agent`, { cookie })).rejects.toMatchObject({ status: 403 });
  });
});

describe('access', () => {
  it('keeps visitor B out of visitor A’s conversation by socket and REST, with the same answer as a missing id', async () => {
    const a = await newVisitor(server.url);
    a.client.send({ type: 'message.send', cid: 'a-1', text: 'my secret order 4711' });
    const ackA = await a.client.next((f) => f.type === 'ack' && f.cid === 'a-1');
    const convA = ackA.conversationId as string;
    const b = await newVisitor(server.url);
    b.client.send({ type: 'message.send', cid: 'b-0', text: 'mine' });
    const convB = (await b.client.next((f) => f.type === 'ack' && f.cid === 'b-0')).conversationId as string;
    const missing = 'c_AAAAAAAAAAAAAAAA';
    // Guessed ids: A's real id, a missing id, B's id with its last character changed.
    for (const target of [convA, missing, convB.slice(0, -1) + (convB.endsWith('A') ? 'B' : 'A')]) {
      const probes = [
        { type: 'message.send', cid: `w-${target}`, conversationId: target, text: 'let me in' },
        { type: 'conversation.resume', conversationId: target, lastSeq: 0 },
        { type: 'conversation.rate', cid: `r-${target}`, conversationId: target, csat: 1 },
        { type: 'conversation.close', cid: `c-${target}`, conversationId: target },
        { type: 'typing.update', conversationId: target, active: true },
        { type: 'conversation.read', conversationId: target, seq: 1 },
        { type: 'handoff.request', cid: `h-${target}`, conversationId: target },
      ];
      for (const probe of probes) {
        const before = b.client.frames.length;
        b.client.send(probe);
        const err = await b.client.next((f) => f.type === 'error' && b.client.frames.indexOf(f) >= before);
        expect(err, JSON.stringify(probe)).toMatchObject({ code: 'NOT_FOUND', message: 'No such conversation.' });
      }
      const rest = await fetch(`${server.url}/api/visitor/conversations/${target}/events`, {
        headers: { authorization: `Bearer ${b.token}`, 'x-servus-site': 'demo' },
      });
      expect(rest.status).toBe(404);
      expect(await rest.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No such conversation.' } });
    }
    // Nothing B sent reached A: A's conversation still has only A's message and the bot's answer.
    const own = await fetch(`${server.url}/api/visitor/conversations/${convA}/events`, {
      headers: { authorization: `Bearer ${a.token}`, 'x-servus-site': 'demo' },
    });
    const body = (await own.json()) as { events: { message?: { text: string } }[] };
    expect(body.events.map((e) => e.message?.text)).toEqual(['my secret order 4711', 'echo: my secret order 4711']);
    // And B never saw A's text on its socket.
    expect(JSON.stringify(b.client.frames)).not.toContain('4711');
    a.client.close();
    b.client.close();
  });

  it('refuses REST without a valid visitor token, and agent REST without a session or from another origin', async () => {
    expect((await fetch(`${server.url}/api/visitor/conversations/c_x/events`)).status).toBe(401);
    expect(
      (
        await fetch(`${server.url}/api/visitor/conversations/c_x/events`, {
          headers: { authorization: 'Bearer nope-nope-nope-nope', 'x-servus-site': 'demo' },
        })
      ).status,
    ).toBe(401);
    expect((await fetch(`${server.url}/api/conversations`)).status).toBe(401);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ email: TEST_ADMIN.email, password: TEST_ADMIN.password }),
    });
    expect(login.status).toBe(403);
  });

  it('does not let a visitor token from one site open a socket on another', async () => {
    const { token } = await newVisitor(server.url);
    await expect(connect(`${ws}/ws/visitor?site=other`, { token })).rejects.toMatchObject({ status: 404 });
    void WebSocket;
  });
});
