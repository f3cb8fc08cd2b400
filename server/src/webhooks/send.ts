// One signed webhook POST: to the address resolved and checked once (ssrf.ts), with a time-out over
// the whole exchange, at most `maxResponseBytes` of the answer kept, and redirects never followed
// (a 3xx is a failed delivery, so no redirect can lead inside the network).
import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveSafely, type AddressPolicy, type Resolver } from './ssrf.js';

/** `Servus-Signature: t=SECONDS,v1=HEX`, HEX = HMAC-SHA256(secret, `${t}.${body}`). */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

export interface SendOptions {
  policy: AddressPolicy;
  timeoutMs: number;
  maxResponseBytes: number;
  resolve?: Resolver;
  now?: () => number;
}

export interface SendResult {
  ok: boolean;
  status: number | null;
  /** The start of the answer's body (text), for the delivery log. */
  response: string | null;
  error: string | null;
}

export async function sendWebhook(
  target: { url: string; secret: string },
  delivery: { id: string; event: string; body: string },
  { policy, timeoutMs, maxResponseBytes, resolve, now = Date.now }: SendOptions,
): Promise<SendResult> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return { ok: false, status: null, response: null, error: 'The URL is not valid.' };
  }
  let pinned: { address: string; family: 4 | 6 };
  try {
    pinned = await resolveSafely(url, policy, resolve);
  } catch (err) {
    return { ok: false, status: null, response: null, error: (err as Error).message };
  }
  const t = Math.floor(now() / 1000);
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'Servus-Webhooks/1',
    'Servus-Webhook-Id': delivery.id,
    'Servus-Event': delivery.event,
    'Servus-Signature': signatureHeader(target.secret, t, delivery.body),
    'Content-Length': String(Buffer.byteLength(delivery.body)),
  };
  // Connect to the checked address whatever the name resolves to by now (no DNS rebinding).
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((done) => {
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      done(r);
    };
    const req = request(url, { method: 'POST', headers, lookup, agent: false }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size >= maxResponseBytes) return;
        chunks.push(chunk.subarray(0, maxResponseBytes - size));
        size += chunk.length;
        // Enough kept: the rest of a huge answer is not read.
        if (size >= maxResponseBytes) settle(res);
      });
      res.on('end', () => settle(res));
      res.on('error', () => settle(res));
      function settle(r: IncomingMessage) {
        const status = r.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        const ok = status >= 200 && status < 300;
        const error = ok ? null : status >= 300 && status < 400 ? `Redirect (${status}) not followed.` : `HTTP ${status}`;
        finish({ ok, status, response: text, error });
      }
    });
    const timer = setTimeout(
      () => finish({ ok: false, status: null, response: null, error: `No answer within ${timeoutMs} ms.` }),
      timeoutMs,
    );
    req.on('error', (err) => finish({ ok: false, status: null, response: null, error: err.message.slice(0, 500) }));
    req.end(delivery.body);
  });
}
