// The visitor socket: shared/'s reconnecting socket set up for the widget. It says hello (token +
// resume point) and counts as online after the welcome, keeps its outbox in the page's storage so a
// command is resent with the same cid after a reload until its ack arrives (the server dedups on
// cid; no timeout: it waits for the connection), stores the token the welcome brings, and starts
// over when the server no longer knows the token.
import {
  createReconnectingSocket,
  type OutboxItem as SocketOutboxItem,
  type ReconnectingSocket,
  type ReconnectingSocketOptions,
  type VisitorServerFrame,
  type SocketStatus,
  type VisitorContext,
  type VisitorFrame,
} from '@servus/shared';
import type { SafeStorage } from './storage.js';

/** A command of the visitor: every frame with a cid. */
export type VisitorCommand = Extract<VisitorFrame, { cid: string }>;
/** A command that waits for an ack. */
export type OutboxItem = SocketOutboxItem<VisitorCommand>;

export type ConnectionStatus = SocketStatus;

/** The socket's own options (WebSocket, random, outbox length, backoff, timeouts, events) pass through; see shared/'s defaults. */
export interface TransportOptions extends Pick<
  ReconnectingSocketOptions<VisitorCommand, VisitorServerFrame>,
  | 'url'
  | 'onStatus'
  | 'WebSocket'
  | 'random'
  | 'outboxLength'
  | 'reconnectMinMs'
  | 'reconnectMaxMs'
  | 'connectTimeoutMs'
  | 'rateLimitRetryMs'
  | 'events'
> {
  storage: SafeStorage;
  /** Storage key prefix for this site. */
  key: (name: string) => string;
  /** Where to resume from (the app's state), sent in the hello. */
  resumePoint: () => { conversationId: string; lastSeq: number } | undefined;
  context: () => VisitorContext;
  onFrame: (frame: VisitorServerFrame) => void;
  /** A command the server refused for good (not retried): the app marks it failed. */
  onRejected: (item: OutboxItem, code: string) => void;
  /** The stored token was unknown to the server: the app starts over as a new visitor. */
  onTokenRejected: () => void;
}

/** `send` queues a command until acked (false when the outbox is full: the caller shows an error, nothing is dropped); `close` forgets the outbox (shutdown). */
export type Transport = ReconnectingSocket<VisitorCommand>;

export function createTransport({
  storage,
  key,
  resumePoint,
  context,
  onFrame,
  onRejected,
  onTokenRejected,
  ...options
}: TransportOptions): Transport {
  const socket = createReconnectingSocket<VisitorCommand, VisitorServerFrame>({
    // Outbox length, backoff and connect timeout: the socket's defaults, the protocol's (shared/).
    awaitWelcome: true,
    // A visitor's command waits for the connection however long it takes, across reloads too.
    commandTimeoutMs: 0,
    rateLimitRetryMs: 10_000,
    ...options,
    storage,
    storageKey: key('outbox'),
    onOpen(send) {
      const token = storage.get(key('token'));
      const resume = resumePoint();
      send({ type: 'visitor.hello', ...(token ? { token } : {}), ...(resume ? { resume } : {}), context: context() });
    },
    onFrame(frame) {
      if (frame.type === 'welcome' && frame.token) storage.set(key('token'), frame.token);
      else if (frame.type === 'error' && !frame.cid && frame.code === 'UNAUTHORIZED' && socket.status !== 'online') {
        // Our token is unknown (the visitor was deleted or the database reset): start over.
        storage.remove(key('token'));
        onTokenRejected();
      }
      onFrame(frame);
    },
    // Refused (outbox full) is told by send's result; closed for good is the app's own shutdown.
    onSettled: (item, result) => {
      if (!result.ok && result.code !== 'OUTBOX_FULL' && result.code !== 'CLOSED') onRejected(item, result.code);
    },
  });
  return socket;
}
