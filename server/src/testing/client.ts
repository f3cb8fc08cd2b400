// A protocol client for tests: connects over a real socket and awaits frames by predicate.
import WebSocket from 'ws';
import { SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ServerFrame } from '@servus/shared';

export type Frame = ServerFrame & Record<string, unknown>;

export interface TestClient {
  ws: WebSocket;
  frames: Frame[];
  send(frame: unknown): void;
  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
  /** Resolves with the first frame (already received or future) matching the predicate. */
  next(predicate: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export interface ConnectOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  protocols?: string[];
  /** More request headers for the upgrade (a proxy's X-Forwarded-*). */
  headers?: Record<string, string>;
}

export function connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
  const protocols = options.protocols ?? [SUBPROTOCOL, ...(options.token ? [TOKEN_SUBPROTOCOL_PREFIX + options.token] : [])];
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  const ws = new WebSocket(url, protocols, { headers, ...(options.origin ? { origin: options.origin } : {}), perMessageDeflate: false });
  const frames: Frame[] = [];
  const waiters = new Set<{ predicate: (f: Frame) => boolean; resolve: (f: Frame) => void }>();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    frames.push(frame);
    for (const w of waiters) {
      if (w.predicate(frame)) {
        waiters.delete(w);
        w.resolve(frame);
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })),
    );
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve({
        ws,
        frames,
        closed,
        send: (frame) => ws.send(JSON.stringify(frame)),
        sendRaw: (data, opts) => ws.send(data, { binary: opts?.binary ?? false }),
        next(predicate, timeoutMs = 10_000) {
          const seen = frames.find(predicate);
          if (seen) return Promise.resolve(seen);
          return new Promise<Frame>((res, rej) => {
            const waiter = {
              predicate,
              resolve: (f: Frame) => {
                clearTimeout(timer);
                res(f);
              },
            };
            const timer = setTimeout(() => {
              waiters.delete(waiter);
              rej(new Error(`no matching frame within ${timeoutMs} ms; last frames: ${JSON.stringify(frames.slice(-5))}`));
            }, timeoutMs);
            waiters.add(waiter);
            void closed.then(() => {
              if (waiters.delete(waiter)) {
                clearTimeout(timer);
                rej(new Error(`socket closed while waiting; last frames: ${JSON.stringify(frames.slice(-5))}`));
              }
            });
          });
        },
        close: () => ws.close(),
      });
    });
  });
}

/** Logs in over REST and returns the session cookie. */
export async function login(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}

/** A new visitor on a site: connected, hello sent, welcome received. */
export async function newVisitor(baseUrl: string, site = 'demo'): Promise<{ client: TestClient; token: string; visitorId: string }> {
  const client = await connect(`${baseUrl.replace(/^http/, 'ws')}/ws/visitor?site=${site}`);
  client.send({ type: 'visitor.hello', context: { lang: 'en' } });
  const welcome = await client.next((f) => f.type === 'welcome');
  return { client, token: welcome.token as string, visitorId: welcome.visitorId as string };
}

/** An agent socket: logged in, connected with the right Origin, hello answered. */
export async function newAgent(
  baseUrl: string,
  email: string,
  password: string,
): Promise<{ client: TestClient; cookie: string; agentId: string }> {
  const cookie = await login(baseUrl, email, password);
  const client = await connect(`${baseUrl.replace(/^http/, 'ws')}/ws/agent`, { cookie, origin: baseUrl });
  client.send({ type: 'agent.hello' });
  const welcome = await client.next((f) => f.type === 'welcome');
  return { client, cookie, agentId: (welcome.agent as { id: string }).id };
}
