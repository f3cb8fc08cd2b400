// The outbox survives a crash: a delivery that failed once and waits for its retry is sent after the
// server is SIGKILLed and started again, exactly once. Runs the built server (server/dist).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, newVisitor } from '../testing/client.js';
import { startServerProcess, TEST_ADMIN, type ServerProcess } from '../testing/server-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';

let receiver: WebhookReceiver;
let proc: ServerProcess;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await proc?.stop();
  await receiver.close();
});

const env = { WEBHOOK_ALLOW_ADDRESSES: '127.0.0.1', WEBHOOK_RETRY_BASE_SECONDS: '1', AUTO_ASSIGN: 'false' };

describe('webhook outbox across a crash', () => {
  it('delivers a delivery waiting for its retry once after a SIGKILL and restart', async () => {
    proc = await startServerProcess({ env });
    const cookie = await login(proc.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await fetch(`${proc.url}/api/tokens`, {
      method: 'POST',
      headers: { cookie, origin: proc.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'crash', scopes: ['sites:manage'] }),
    });
    const token = ((await created.json()) as { secret: string }).secret;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const hook = await fetch(`${proc.url}/api/v1/sites/demo/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url, events: ['message.created.visitor'] }),
    });
    const webhookId = ((await hook.json()) as { webhook: { id: string } }).webhook.id;

    receiver.answer = () => 500;
    const visitor = await newVisitor(proc.url);
    visitor.client.send({ type: 'message.send', cid: 'm1', text: 'before the crash' });
    await visitor.client.next((f) => f.cid === 'm1');
    const first = await receiver.waitFor((r) => r.json.event === 'message.created.visitor');
    visitor.client.close();
    // The failure is on record (the retry is a second away) before the process dies.
    const log = () =>
      fetch(`${proc.url}/api/v1/sites/demo/webhooks/${webhookId}/deliveries`, { headers: auth }).then(
        async (r) => ((await r.json()) as { deliveries: { id: string; status: string; attempts: number }[] }).deliveries,
      );
    for (let i = 0; i < 200 && (await log())[0]?.attempts !== 1; i++) await new Promise((r) => setImmediate(r));
    expect((await log())[0]).toMatchObject({ id: first.json.id, status: 'pending', attempts: 1 });
    await proc.kill();

    receiver.answer = () => 200;
    proc = await proc.restart();
    const delivered = await receiver.waitFor((r) => r.answered === 200 && r.json.id === first.json.id);
    expect(delivered.json.message).toMatchObject({ text: 'before the crash' });
    const deliveries = await log();
    expect(deliveries).toEqual([expect.objectContaining({ id: first.json.id, status: 'delivered', attempts: 2 })]);
    expect(receiver.requests.filter((r) => r.json.id === first.json.id).map((r) => r.answered)).toEqual([500, 200]);
  }, 60_000);
});
