// A client that behaves like the widget's transport: an outbox of unacknowledged commands that is
// resent with the same cids after a reconnect, and a resume from the last contiguous seq.
// Tests use it to check that nothing is lost, duplicated or reordered.
import { connect, type Frame, type TestClient } from './client.js';

export interface ReliableClientOptions {
  url: string;
  role: 'visitor' | 'agent';
  site?: string;
  token?: string;
  cookie?: string;
  origin?: string;
  conversationId?: string;
}

export class ReliableClient {
  client: TestClient | null = null;
  token: string | undefined;
  conversationId: string | undefined;
  /** Every logged seq received, in order of arrival, across all connections. */
  readonly received: number[] = [];
  readonly messages = new Map<number, Frame>();
  readonly acks = new Map<string, Frame>();
  readonly errors: Frame[] = [];
  lastSeq = 0;
  reconnects = 0;
  private outbox: { cid: string; frame: Record<string, unknown> }[] = [];
  private waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  private connecting: Promise<void> | null = null;

  constructor(private options: ReliableClientOptions) {
    this.token = options.token;
    this.conversationId = options.conversationId;
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when the predicate holds (checked after every frame). */
  until(predicate: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`timed out waiting for ${what} (lastSeq ${this.lastSeq}, outbox ${this.outbox.length}, acks ${this.acks.size})`),
          ),
        timeoutMs,
      );
      this.waiters.push({ predicate, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  get pending(): number {
    return this.outbox.length;
  }

  private onFrame(frame: Frame, client: TestClient): void {
    if (client !== this.client) return;
    if (frame.type === 'welcome' && typeof frame.token === 'string') this.token = frame.token;
    if (frame.type === 'ack') {
      const cid = frame.cid as string;
      if (!this.acks.has(cid)) this.acks.set(cid, frame);
      this.outbox = this.outbox.filter((o) => o.cid !== cid);
      if (!this.conversationId && typeof frame.conversationId === 'string') this.conversationId = frame.conversationId;
    } else if (frame.type === 'error') {
      this.errors.push(frame);
    } else if ((frame.type === 'message.created' || frame.type === 'conversation.updated') && typeof frame.seq === 'number') {
      this.received.push(frame.seq);
      if (frame.seq === this.lastSeq + 1) this.lastSeq = frame.seq;
      this.messages.set(frame.seq, frame);
      if (!this.conversationId) this.conversationId = frame.conversationId as string;
    } else if (frame.type === 'replay.done' && frame.more) {
      client.send({ type: 'conversation.resume', conversationId: frame.conversationId, lastSeq: this.lastSeq });
    }
    this.check();
  }

  async connect(): Promise<void> {
    this.connecting ??= this.doConnect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const base = this.options.url.replace(/^http/, 'ws');
    const url = this.options.role === 'visitor' ? `${base}/ws/visitor?site=${this.options.site ?? 'demo'}` : `${base}/ws/agent`;
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await connect(url, {
          ...(this.token ? { token: this.token } : {}),
          ...(this.options.cookie ? { cookie: this.options.cookie } : {}),
          ...(this.options.origin ? { origin: this.options.origin } : {}),
        });
        this.client = client;
        client.ws.on('message', () => {
          const f = client.frames.shift();
          if (f) this.onFrame(f, client);
        });
        const welcomed = client.next((f) => f.type === 'welcome');
        if (this.options.role === 'visitor') {
          client.send({
            type: 'visitor.hello',
            ...(this.conversationId ? { resume: { conversationId: this.conversationId, lastSeq: this.lastSeq } } : {}),
          });
          await welcomed;
        } else {
          client.send({ type: 'agent.hello' });
          await welcomed;
          if (this.conversationId)
            client.send({ type: 'conversation.subscribe', conversationId: this.conversationId, lastSeq: this.lastSeq });
        }
        // Resend what was not acknowledged, with the same cids, in the same order.
        for (const item of this.outbox) client.send(item.frame);
        return;
      } catch (err) {
        if (attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, Math.min(500, 10 * 2 ** attempt)));
      }
    }
  }

  send(frame: Record<string, unknown> & { cid: string }): void {
    this.outbox.push({ cid: frame.cid, frame });
    if (this.client && this.client.ws.readyState === this.client.ws.OPEN) this.client.send(frame);
  }

  /** Connects to another instance from now on (the one it was on died), resuming where it was. */
  async moveTo(url: string): Promise<void> {
    this.options.url = url;
    await this.drop();
  }

  /** Drops the connection abruptly (no close frame) and reconnects. */
  async drop(): Promise<void> {
    this.client?.ws.terminate();
    this.client = null;
    this.reconnects += 1;
    await this.connect();
  }

  close(): void {
    this.client?.ws.close();
    this.client = null;
  }
}
