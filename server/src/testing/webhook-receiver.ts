// A real local HTTP receiver for webhook tests: records every request (headers, body), answers with
// what the test says for each one (status, a hang, a redirect, a slow answer), and lets the test
// await requests.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  json: { id: string; event: string; [key: string]: unknown };
  /** What the receiver answered. */
  answered: number | 'hang';
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** A status, no answer at all, a redirect, or a status after a delay (a slow receiver). */
export type Answer = number | 'hang' | { redirect: string } | { status: number; afterMs: number };

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Decides each request's answer (default 200). */
  answer: (req: { body: string; n: number }) => Answer;
  /** Resolves when a request matching `predicate` has arrived (already or later). */
  waitFor(predicate: (r: ReceivedRequest) => boolean): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const waiters: (() => void)[] = [];
  const hanging = new Set<() => void>();
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    requests: [],
    answer: () => 200,
    waitFor(predicate) {
      return new Promise((resolve) => {
        const check = () => {
          const found = receiver.requests.find(predicate);
          if (found) resolve(found);
          else waiters.push(check);
        };
        check();
      });
    },
    close: async () => {
      for (const end of hanging) end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const answer = receiver.answer({ body, n: receiver.requests.length });
      let json: ReceivedRequest['json'] = { id: '', event: '' };
      try {
        json = JSON.parse(body) as ReceivedRequest['json'];
      } catch {
        /* recorded as is */
      }
      const answered = typeof answer !== 'object' ? answer : 'redirect' in answer ? 302 : answer.status;
      receiver.requests.push({ headers: req.headers, body, json, answered, at: Date.now() });
      for (const w of waiters.splice(0)) w();
      if (answer === 'hang') {
        const end = () => res.destroy();
        hanging.add(end);
        res.on('close', () => hanging.delete(end));
        return;
      }
      if (typeof answer === 'object' && 'redirect' in answer) {
        res.writeHead(302, { location: answer.redirect }).end();
        return;
      }
      if (typeof answer === 'object') {
        const later = setTimeout(() => res.writeHead(answer.status, { 'content-type': 'text/plain' }).end('slow'), answer.afterMs);
        res.on('close', () => clearTimeout(later));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  return receiver;
}
