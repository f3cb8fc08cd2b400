import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { newAgent, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import type { BotResponder } from '../bot/index.js';

const bot: BotResponder = {
  reply: () => ({ kind: 'answer', text: 'Yes.', lang: 'en', confidence: 0.9, suggestions: [], offerHandoff: false, state: {} }),
};

const TOKEN = 'metrics-token-0123456789';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ bots: bot, overrides: { autoAssign: false, metricsToken: TOKEN } });
});
afterAll(() => server.close());

const scrape = async () => (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();

describe('/metrics', () => {
  it('exposes sockets, queue length, messages, bot outcomes, handoffs, wait and first-response histograms', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'm1', text: 'Do you ship to Austria?' });
    await v.client.next((f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot');
    v.client.send({ type: 'handoff.request', cid: 'h1' });
    const conversationId = (await v.client.next((f) => f.cid === 'h1')).conversationId as string;
    let text = await scrape();
    expect(text).toMatch(/^servus_open_sockets 1$/m);
    expect(text).toMatch(/^servus_queue_length\{site="demo"\} 1$/m);
    expect(text).toMatch(/^servus_bot_outcomes_total\{outcome="answer"\} 1$/m);
    expect(text).toMatch(/^servus_handoffs_total\{reason="visitor_request"\} 1$/m);
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.claim', cid: 'c1', conversationId });
    await agent.client.next((f) => f.cid === 'c1');
    agent.client.send({ type: 'message.send', cid: 'r1', conversationId, text: 'Yes, we do.' });
    expect(await agent.client.next((f) => f.cid === 'r1')).toMatchObject({ type: 'ack' });
    agent.client.send({ type: 'message.send', cid: 'r2', conversationId, text: 'Anything else?' });
    await agent.client.next((f) => f.cid === 'r2');
    text = await scrape();
    expect(text).toMatch(/^servus_queue_length\{site="demo"\} 0$/m);
    expect(text).toMatch(/^servus_queue_wait_seconds_count 1$/m);
    // Only the first agent reply counts as the first response.
    expect(text).toMatch(/^servus_first_response_seconds_count 1$/m);
    expect(text).toMatch(/^servus_messages_total\{author="agent"\} 2$/m);
    expect(text).toMatch(/^servus_write_batch_size_count \d+$/m);
    v.client.close();
    agent.client.close();
  });
});

describe('/metrics access', () => {
  it('is not on the public port without METRICS_TOKEN', async () => {
    const plain = await startTestServer();
    try {
      expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
      expect(plain.metricsUrl).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it('wants the token as a bearer token on the public port', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^servus_open_sockets \d+$/m);
  });

  it('serves it without a token on the separate METRICS_PORT listener, and only it', async () => {
    const separate = await startTestServer({ overrides: { metricsPort: 0 } });
    try {
      expect(separate.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(separate.metricsUrl!);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^servus_queue_length\{site="demo"\} 0$/m);
      expect((await fetch(separate.metricsUrl!.replace('/metrics', '/healthz'))).status).toBe(404);
      expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
    } finally {
      await separate.close();
    }
  });
});
