// One open socket and what the server keeps about it, and the few ways a frame leaves: send (with
// the slow-consumer limit), send and wait for the socket to drain, an error frame, a close.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { ErrorCode } from '@servus/shared';
import type { SessionAgent, VisitorActor } from '../core/actors.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { errorFrame } from './frames.js';
import type { HubMessage } from '../pubsub/hub.js';
import { createWriteCoalescer } from './write-coalescer.js';

export type VisitorIdentity = VisitorActor;

export interface Conn {
  /** Unique across instances: a typing indicator names the socket it came from, wherever it lands. */
  id: string;
  ws: WebSocket;
  ip: string;
  role: 'visitor' | 'agent';
  siteKey?: string;
  visitor?: VisitorIdentity;
  agent?: SessionAgent;
  /** Hash of the session an agent socket was opened with. */
  sessionHash?: string;
  helloDone: boolean;
  userAgent: string;
  /** Hub subscriptions by topic. */
  subs: Map<string, () => void>;
  /** Conversations being replayed: live frames wait here until the replay is sent. */
  replaying: Map<string, HubMessage[]>;
  replayInFlight: Set<string>;
  /** Highest logged seq sent per conversation: nothing older is sent twice. */
  sent: Map<string, number>;
  /** Commands other than pipelined messages, one after the other. */
  chain: Promise<void>;
  /** Commands other than message.send queued or running on `chain`. */
  serialInFlight: number;
  /** Messages pipelined into the write queue and not yet answered. */
  pipelined: number;
  /** Waiting for `pipelined` to reach 0 (the next serial command, shutdown). */
  drainWaiters: (() => void)[];
  authTimer: NodeJS.Timeout | null;
  lang: string | null;
  /** An agent socket that follows its sites' queues (queue.subscribe). */
  queueSubscribed: boolean;
  /** The socket's last rate-limit check still waiting for Redis (null: none), so later ones wait their turn (dispatch.ts). */
  limitWait: Promise<unknown> | null;
}

const instance = randomBytes(4).toString('hex');
let nextConnId = 0;
/** Where every socket's command chain starts: one settled promise for all (one per socket added up). */
const SETTLED: Promise<void> = Promise.resolve();

export function newConn(init: Pick<Conn, 'ws' | 'ip' | 'role' | 'userAgent'>): Conn {
  return {
    ...init,
    id: `s${instance}.${++nextConnId}`,
    helloDone: false,
    subs: new Map(),
    replaying: new Map(),
    replayInFlight: new Set(),
    sent: new Map(),
    chain: SETTLED,
    serialInFlight: 0,
    pipelined: 0,
    drainWaiters: [],
    authTimer: null,
    lang: null,
    limitWait: null,
    queueSubscribed: false,
  };
}

export type Sender = ReturnType<typeof createSender>;

export function createSender({ config, logger }: { config: Pick<Config, 'socketHighWaterBytes'>; logger: Logger }) {
  // Ack, echo and relayed copies sent in one tick leave a socket in one write.
  const coalescer = createWriteCoalescer();

  function send(conn: Conn, json: string): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.ws.bufferedAmount > config.socketHighWaterBytes) {
      // A client that does not read cannot make the server hold unbounded memory for it.
      logger.warn({ conn: conn.id }, 'slow consumer terminated');
      conn.ws.terminate();
      return;
    }
    coalescer.hold(conn.ws);
    conn.ws.send(json);
  }

  /** Sends a frame and resolves once it has been handed to the kernel (or the socket is gone). */
  function sendDrained(conn: Conn, json: string): Promise<void> {
    return new Promise((resolve) => {
      if (conn.ws.readyState !== conn.ws.OPEN) return resolve();
      coalescer.hold(conn.ws);
      conn.ws.send(json, () => resolve());
    });
  }

  function sendError(
    conn: Conn,
    code: ErrorCode,
    message: string,
    extra: { cid?: string | undefined; path?: string | undefined } = {},
  ): void {
    send(
      conn,
      errorFrame({ type: 'error', code, message, ...(extra.cid ? { cid: extra.cid } : {}), ...(extra.path ? { path: extra.path } : {}) }),
    );
  }

  function closeWith(conn: Conn, closeCode: number, code: ErrorCode, message: string): void {
    sendError(conn, code, message);
    conn.ws.close(closeCode, code);
  }

  return { send, sendDrained, sendError, closeWith };
}
