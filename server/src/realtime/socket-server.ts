// The WebSocket endpoint for visitors (/ws/visitor) and agents (/ws/agent): the connections'
// lifecycle. Authentication happens on the upgrade (upgrade.ts), commands are dispatched
// (dispatch.ts), logged frames delivered in order (delivery.ts); here sockets are counted and
// limited, accepted, kept alive (heartbeat.ts), checked against their sessions (session-check.ts)
// and closed.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CloseCode, ErrorCode, SUBPROTOCOL, type AgentStatusChangedFrame } from '@servus/shared';

const ACCOUNT_CHANNEL = 'agent-account';
/** News of an erasure (privacy/): every instance closes the erased visitors' sockets and tells its consoles. */
const ERASED_CHANNEL = 'privacy-erased';
import { clientAddress } from '../core/forwarded.js';
import type { OriginRefusals } from '../sites/sites.js';
import { createSender, newConn, type Conn } from './connection.js';
import { createForwarding } from './forwarding.js';
import { createDelivery } from './delivery.js';
import { createDispatcher, type DispatchOptions } from './dispatch.js';
import { createHeartbeat } from './heartbeat.js';
import { createRateLimiter, createSharedRateLimiter, type RedisCounterClient } from '../core/rate-limit.js';
import { createSessionCheck } from './session-check.js';
import { createUpgradeAuth, rejectUpgrade } from './upgrade.js';
import { erasedFrame } from './frames.js';
import { topics } from '../pubsub/hub.js';

/** What an erasure removed (privacy/privacy.ts `Erased`). */
export interface ErasedNews {
  conversations: { id: string; siteKey: string }[];
  visitorIds: string[];
}

export interface SocketServerOptions extends Pick<
  DispatchOptions,
  'config' | 'logger' | 'auth' | 'hub' | 'sites' | 'conversations' | 'presence' | 'sendTranscript'
> {
  /** Origin of the console, for the agent socket's Origin check (derived from the request when unset). */
  publicUrl?: string | undefined;
  /** How often agent sockets are checked against their sessions in the database (ms). */
  sessionCheckMs?: number;
  /** Logs a page origin a site does not allow (once per site and origin an hour). */
  originRefused?: OriginRefusals;
  /** With several instances: where the message rate limits are counted together. */
  redis?: RedisCounterClient | undefined;
  /** Told where each forwarded agent message was written (metrics). */
  onForwarded?: ((written: 'there' | 'here') => void) | undefined;
}

export function createSocketServer(options: SocketServerOptions) {
  const { config, logger, auth, hub, sites, conversations, presence } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const conns = new Set<Conn>();
  const perIp = new Map<string, number>();
  const { redis } = options;
  const limits = {
    visitorMessages: createSharedRateLimiter({
      name: 'vm',
      limit: config.visitorMessagesPerWindow,
      windowMs: config.rateWindowMs,
      redis,
      prefix: config.redisPrefix,
    }),
    agentMessages: createSharedRateLimiter({
      name: 'am',
      limit: config.agentMessagesPerWindow,
      windowMs: config.rateWindowMs,
      redis,
      prefix: config.redisPrefix,
    }),
    // Frames are counted per socket, which lives on this instance only.
    frames: createRateLimiter({ limit: config.framesPerWindow, windowMs: config.rateWindowMs }),
    transcripts: createSharedRateLimiter({ name: 'tr', limit: 3, windowMs: 3_600_000, redis, prefix: config.redisPrefix }),
  };
  const sender = createSender({ config, logger });
  const delivery = createDelivery({ conversations, sender, config, logger });
  const forwarding = createForwarding({ hub, agentMessage: conversations.commands.agentMessage, logger, onForwarded: options.onForwarded });
  const dispatcher = createDispatcher({
    config,
    logger,
    auth,
    hub,
    sites,
    conversations,
    presence,
    sender,
    delivery,
    forwarding,
    limits,
    sendTranscript: options.sendTranscript,
    agentChanged: (agentId) => hub.broadcast(ACCOUNT_CHANNEL, { agentId }),
  });
  const forwarded = { trustProxy: config.trustProxy, publicUrl: options.publicUrl };
  const authenticate = createUpgradeAuth({ sites, auth, forwarded, originRefused: options.originRefused });
  // Heartbeat (heartbeat.ts): each socket pinged once per HEARTBEAT_SECONDS, spread over the interval.
  const heartbeat = createHeartbeat({
    intervalMs: config.heartbeatSeconds * 1000,
    onInterval: () => {
      for (const limiter of Object.values(limits)) limiter.sweep();
    },
  });
  const sessions = createSessionCheck({
    auth,
    sockets: () => conns,
    sender,
    logger,
    ...(options.sessionCheckMs ? { intervalMs: options.sessionCheckMs } : {}),
  });
  let closing = false;
  // News from other instances may have been lost (Redis was away): every socket catches up from
  // the database, and agents get their queues afresh.
  const offResync = hub.onResync(() => {
    void closeErasedVisitors().catch((err: unknown) => logger.warn({ err }, 'checking visitors after a resync failed'));
    void delivery.catchUp(conns).catch((err: unknown) => logger.error({ err }, 'catch-up failed'));
    for (const conn of conns) {
      if (conn.queueSubscribed)
        void dispatcher.sendQueueSnapshot(conn).catch((err: unknown) => logger.warn({ err }, 'queue snapshot failed'));
    }
  });

  /** Counts a socket against its address's limit; returns the function that uncounts it (once). */
  function countIp(ip: string): () => void {
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    let counted = true;
    return () => {
      if (!counted) return;
      counted = false;
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    };
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const role = url.pathname === '/ws/visitor' ? 'visitor' : url.pathname === '/ws/agent' ? 'agent' : null;
    if (!role) return rejectUpgrade(socket, ErrorCode.NOT_FOUND, 'No such endpoint.');
    if (closing) return rejectUpgrade(socket, ErrorCode.SHUTTING_DOWN, 'The server is shutting down.');
    const ip = clientAddress(req.headers, req.socket.remoteAddress, forwarded);
    if ((perIp.get(ip) ?? 0) >= config.connectionsPerIp || conns.size >= config.maxConnections) {
      return rejectUpgrade(socket, ErrorCode.TOO_MANY_CONNECTIONS, 'Too many connections.');
    }
    // Count the socket from here, so that slow auth lookups cannot be used to exceed the limit.
    const uncount = countIp(ip);
    // Read before any closure: a closure here would keep the whole upgrade request alive as long as
    // the socket (about 1.5 KB per idle socket: its headers and streams).
    const userAgent = String(req.headers['user-agent'] ?? '').slice(0, 512);
    try {
      const result = await authenticate(req, role, url);
      if (!result.ok) {
        uncount();
        return rejectUpgrade(socket, result.code, result.message);
      }
      if (socket.destroyed) return uncount();
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = newConn({ ws, ip, role, userAgent });
        const identity = result.identity;
        if (identity.role === 'visitor') {
          conn.siteKey = identity.siteKey;
          if (identity.visitor) conn.visitor = identity.visitor;
        } else {
          conn.agent = identity.agent;
          conn.sessionHash = identity.sessionHash;
        }
        accept(conn, uncount);
      });
    } catch (err) {
      uncount();
      logger.error({ err }, 'upgrade failed');
      rejectUpgrade(socket, ErrorCode.INTERNAL, 'Internal error.');
    }
  }

  /** One pong listener for every socket (\`this\` is the socket): no closure per socket. */
  function onPong(this: WebSocket): void {
    heartbeat.pong(this);
  }

  function accept(conn: Conn, uncount: () => void): void {
    const { ws } = conn;
    conns.add(conn);
    conn.authTimer = setTimeout(() => {
      if (!conn.helloDone) sender.closeWith(conn, CloseCode.POLICY, ErrorCode.AUTH_TIMEOUT, 'Say hello first.');
    }, config.authTimeoutSeconds * 1000);
    heartbeat.add(ws);
    ws.on('pong', onPong);
    ws.on('message', (data: RawData, isBinary: boolean) => dispatcher.onMessage(conn, data, isBinary));
    ws.on('error', (err) => {
      // ws closes the socket itself with the fitting code (1009 too big, 1007 invalid UTF-8).
      logger.debug({ conn: conn.id, err: err.message }, 'socket error');
    });
    ws.on('close', () => {
      conns.delete(conn);
      heartbeat.remove(ws);
      uncount();
      if (conn.authTimer) clearTimeout(conn.authTimer);
      for (const off of conn.subs.values()) off();
      conn.subs.clear();
      if (conn.agent) presence.leave(conn.agent.id, conn.id);
    });
  }

  /**
   * An agent's account changed somewhere (their status on another device, a new name, an admin's
   * edit): this instance's sockets of that agent take over the stored account. A status change
   * moves their presence and is told to the console (`agent.status`); a gone or deactivated
   * account closes them.
   */
  async function refreshAgent(agentId: string): Promise<void> {
    const mine = [...conns].filter((c) => c.agent?.id === agentId);
    if (!mine.length) return;
    const fresh = await auth.agentActor(agentId);
    for (const conn of mine) {
      const agent = conn.agent!;
      if (!fresh) {
        sender.closeWith(conn, CloseCode.POLICY, ErrorCode.UNAUTHORIZED, 'Your session has ended.');
        continue;
      }
      const statusChanged = agent.status !== fresh.status;
      Object.assign(agent, { name: fresh.name, initials: fresh.initials, lang: fresh.lang, status: fresh.status });
      if (!conn.helloDone) continue;
      if (statusChanged) {
        presence.setStatus(agentId, conn.id, fresh.status);
        sender.send(conn, JSON.stringify({ type: 'agent.status', status: fresh.status } satisfies AgentStatusChangedFrame));
      }
    }
  }
  /**
   * This instance's part of an erasure: the erased visitors' sockets close with 4001 ERASED (their
   * token opens nothing any more); agent sockets that follow an erased conversation, or its site's
   * queue, get `conversation.erased` and stop following it.
   */
  function dropErased({ conversations: erasedConvs, visitorIds }: ErasedNews): void {
    const gone = new Set(visitorIds);
    for (const conn of conns) {
      if (conn.role === 'visitor') {
        if (conn.visitor && gone.has(conn.visitor.id))
          sender.closeWith(conn, CloseCode.ERASED, ErrorCode.ERASED, 'Your conversations were erased.');
        continue;
      }
      if (!conn.agent || !conn.helloDone) continue;
      for (const c of erasedConvs) {
        const topic = topics.conversation(c.id);
        const following = conn.subs.get(topic);
        if (!following && !(conn.queueSubscribed && conn.agent.siteKeys.includes(c.siteKey))) continue;
        following?.();
        conn.subs.delete(topic);
        conn.sent.delete(c.id);
        sender.send(conn, erasedFrame({ type: 'conversation.erased', conversationId: c.id, siteKey: c.siteKey }));
      }
    }
  }
  const offErased = hub.onBroadcast(ERASED_CHANNEL, (data) => dropErased(data as ErasedNews));
  /** The news of an erasure may have been lost with Redis: visitor sockets whose visitor is gone close now. */
  async function closeErasedVisitors(): Promise<void> {
    const ids = [...new Set([...conns].flatMap((c) => (c.role === 'visitor' && c.visitor ? [c.visitor.id] : [])))];
    if (!ids.length) return;
    const existing = await auth.existingVisitors(ids);
    dropErased({ conversations: [], visitorIds: ids.filter((id) => !existing.has(id)) });
  }

  const offAccount = hub.onBroadcast(ACCOUNT_CHANNEL, (data) => {
    const { agentId } = data as { agentId: string };
    void refreshAgent(agentId).catch((err: unknown) => logger.warn({ err, agentId }, 'refreshing an agent account failed'));
  });

  return {
    /** Tells every instance (this one too) of an erasure (dropErased above). */
    erased(news: ErasedNews): void {
      if (news.conversations.length || news.visitorIds.length) hub.broadcast(ERASED_CHANNEL, news);
    },
    /** Tells every instance that an agent's account changed (refreshAgent above). */
    agentChanged: (agentId: string) => hub.broadcast(ACCOUNT_CHANNEL, { agentId }),
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(req, socket, head),
    /** Closes an agent's sockets (a removed agent, a changed password), except those of one session. */
    disconnectAgent(agentId: string, keepSessionHash?: string): void {
      for (const conn of conns) {
        if (conn.agent?.id === agentId && conn.sessionHash !== keepSessionHash)
          sender.closeWith(conn, CloseCode.POLICY, ErrorCode.UNAUTHORIZED, 'Your session has ended.');
      }
    },
    /** Closes, now, the agent sockets whose session has ended (a logout on this instance). */
    checkSessions: sessions.check,
    get size() {
      return conns.size;
    },
    /** Stops accepting and closes every socket with 1001. */
    async close(): Promise<void> {
      closing = true;
      offResync();
      offAccount();
      forwarding.close();
      offErased();
      heartbeat.stop();
      sessions.stop();
      for (const conn of conns) conn.ws.close(CloseCode.GOING_AWAY, ErrorCode.SHUTTING_DOWN);
      await Promise.all([...conns].flatMap((c) => [c.chain, dispatcher.pipelinedDone(c)]));
      const deadline = Date.now() + 2000;
      while (conns.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const conn of conns) conn.ws.terminate();
      wss.close();
    },
  };
}

export type SocketServer = ReturnType<typeof createSocketServer>;
