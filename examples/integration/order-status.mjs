#!/usr/bin/env node
// An example integration: receives Servus webhooks, verifies their signature, and when a visitor
// writes an order number answers with the order's status through the REST API. No dependencies.
//
//   SERVUS_URL=http://localhost:8787 SERVUS_TOKEN=svs_… WEBHOOK_SECRET=whsec_… PORT=8790 node order-status.mjs
//
// Subscribe it in Servus (token with scope sites:manage) to `message.created.visitor`:
//   curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \
//     -d '{"url":"http://127.0.0.1:8790/servus","events":["message.created.visitor"]}' \
//     "$SERVUS_URL/api/v1/sites/demo/webhooks"
// (a receiver on the same machine needs WEBHOOK_ALLOW_ADDRESSES=127.0.0.1 on the Servus side).
import { createServer } from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const SERVUS_URL = process.env.SERVUS_URL ?? 'http://localhost:8787';
const SERVUS_TOKEN = process.env.SERVUS_TOKEN ?? '';
const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET ?? '';
const PORT = Number(process.env.PORT ?? 8790);
const MAX_BODY = 256 * 1024;

/** Stand-in for the shop's order database. */
const ORDERS = new Map([
  ['4711', { de: 'ist unterwegs und kommt morgen an', en: 'is on its way and arrives tomorrow' }],
  ['4712', { de: 'wird heute verpackt', en: 'is being packed today' }],
]);

/** The snippet of docs/integrations.md. */
export function verifyServusSignature(secret, header, rawBody, toleranceSeconds = 300) {
  const parts = Object.fromEntries(
    String(header ?? '')
      .split(',')
      .map((p) => p.split('=')),
  );
  const t = Number(parts.t);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Webhook ids seen lately: a retried delivery is answered 200 and not handled twice. */
const seen = new Set();

async function answer(event) {
  const text = event.message?.text ?? '';
  const match = /\b(\d{4,10})\b/.exec(text);
  if (!match) return;
  const order = ORDERS.get(match[1]);
  const german = /bestell|wo ist|lieferung/i.test(text);
  const reply = order
    ? german
      ? `Ihre Bestellung ${match[1]} ${order.de}.`
      : `Your order ${match[1]} ${order.en}.`
    : german
      ? `Zur Bestellung ${match[1]} finden wir nichts; ein Mitarbeiter meldet sich.`
      : `We could not find order ${match[1]}; a person will get back to you.`;
  // The cid makes the answer exactly-once even if this runs again for the same message.
  const res = await fetch(`${SERVUS_URL}/api/v1/conversations/${event.conversation.id}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SERVUS_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ cid: `order-status-${event.message.id}`, text: reply, name: 'Shop' }),
  });
  if (!res.ok) console.error('Servus refused the answer:', res.status, await res.text());
}

createServer((req, res) => {
  if (req.method !== 'POST') return res.writeHead(405).end();
  let body = '';
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else body += chunk;
  });
  req.on('end', () => {
    if (!verifyServusSignature(WEBHOOK_SECRET, req.headers['servus-signature'], body)) return res.writeHead(401).end();
    const event = JSON.parse(body);
    // Answer at once; the work happens after (Servus waits at most WEBHOOK_TIMEOUT_SECONDS).
    res.writeHead(200).end('ok');
    if (seen.has(event.id)) return;
    seen.add(event.id);
    if (seen.size > 10_000) seen.delete(seen.values().next().value);
    if (event.event === 'message.created.visitor') answer(event).catch((err) => console.error(err));
  });
}).listen(PORT, '127.0.0.1', function () {
  console.log(`Order status integration listening on http://127.0.0.1:${this.address().port}/servus`);
});
