// The WebSocket endpoint for visitors (/ws/visitor) and agents (/ws/agent). Authenticates on the
// HTTP upgrade, enforces every limit, validates every frame, and never lets a handler's failure
// reach the socket loop: each failure becomes an error frame or a close with the fitting code.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { agentFrame as agentFrameSchema, visitorFrame as visitorFrameSchema } from '@servus/shared/schemas';
import {
  CloseCode,
  ErrorCode,
  HTTP_STATUS,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type AgentFrame,
  type VisitorFrame,
  type WelcomeFrame,
} from '@servus/shared';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Auth } from '../auth.js';
import { parseCookies, SESSION_COOKIE } from '../auth.js';
import { hashToken } from '../ids.js';
import type { ConversationService, AgentActor, VisitorActor } from '../conversations/service.js';
import type { ConversationRow } from '../conversations/views.js';
import { originAllowed, type OriginRefusals, type SiteDirectory } from '../sites.js';
import { ServusError, toPublicError } from '../errors.js';
import { type Hub, type HubMessage, topics } from './hub.js';
import { createRateLimiter } from './rate-limit.js';
import { createWriteCoalescer } from './write-coalescer.js';
import type { Presence } from './presence.js';
import { createHeartbeat, type HeartbeatMember } from './heartbeat.js';
import { clientAddress, requestOrigin } from '../http/forwarded.js';

export interface SocketServerOptions {
  config: Config;
  logger: Logger;
  auth: Auth;
  hub: Hub;
  sites: SiteDirectory;
  service: ConversationService;
  presence: Presence;
  /** After an offline message was stored (team notification). */
  onOfflineMessage?: (visitor: VisitorActor, conversationId: string, email: string, text: string) => void;
  /** Sends the conversation to the visitor by email; false when email is off or no address is known. */
  sendTranscript?: (visitor: VisitorActor, conversationId: string, email: string | undefined) => Promise<boolean>;
  /** Origin of the console, for the agent socket's Origin check (derived from Host when unset). */
  publicUrl?: string | undefined;
  /** How often agent sockets are checked against their sessions in the database (ms). */
  sessionCheckMs?: number;
  /** Logs a page origin a site does not allow (once per site and origin an hour). */
  originRefused?: OriginRefusals;
}

type VisitorIdentity = VisitorActor & { verified?: boolean };

interface Conn {
  id: string;
  ws: WebSocket;
  ip: string;
  role: 'visitor' | 'agent';
  siteKey?: string;
  visitor?: VisitorIdentity;
  /** Token issued on the hello of a new visitor, to be sent once in the welcome. */
  helloDone: boolean;
  agent?: AgentActor & { email: string; role: 'admin' | 'agent' };
  userAgent: string;
  /** Hash of the session the agent socket was opened with. */
  sessionHash?: string;
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
}

let nextConnId = 0;

export function createSocketServer(options: SocketServerOptions) {
  const { config, logger, auth, hub, sites, service, presence } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const conns = new Set<Conn>();
  const perIp = new Map<string, number>();
  const visitorMessages = createRateLimiter({ limit: config.visitorMessagesPerWindow, windowMs: config.rateWindowMs });
  const agentMessages = createRateLimiter({ limit: config.agentMessagesPerWindow, windowMs: config.rateWindowMs });
  const frames = createRateLimiter({ limit: config.framesPerWindow, windowMs: config.rateWindowMs });
  // Ack, echo and relayed copies sent in one tick leave a socket in one write.
  const coalescer = createWriteCoalescer();
  const transcripts = createRateLimiter({ limit: 3, windowMs: 3_600_000 });
  let closing = false;

  // Heartbeat (heartbeat.ts): each socket pinged once per HEARTBEAT_SECONDS, spread over the interval.
  const heartbeat = createHeartbeat({
    intervalMs: config.heartbeatSeconds * 1000,
    onInterval: () => {
      visitorMessages.sweep();
      transcripts.sweep();
      agentMessages.sweep();
      frames.sweep();
    },
  });

  // A session ends in many places: logout, a password change, removal, expiry, the command line,
  // another instance. The database is the truth, so every agent socket is checked against it
  // (one query for all of them) and closed with 1008 once its session is gone.
  let checkingSessions: Promise<void> | null = null;
  /** A check asked for while one runs: that one may have read the session before it ended. */
  let checkAgain = false;
  function checkSessions(): Promise<void> {
    if (checkingSessions) {
      checkAgain = true;
      return checkingSessions;
    }
    const check = (async () => {
      do {
        checkAgain = false;
        const byHash = new Map<string, Conn[]>();
        for (const conn of conns) {
          if (!conn.sessionHash) continue;
          const list = byHash.get(conn.sessionHash);
          if (list) list.push(conn);
          else byHash.set(conn.sessionHash, [conn]);
        }
        if (!byHash.size) return;
        const live = await auth.liveSessions([...byHash.keys()]);
        for (const [hash, list] of byHash) {
          if (live.has(hash)) continue;
          for (const conn of list) closeWith(conn, CloseCode.POLICY, ErrorCode.UNAUTHORIZED, 'Your session has ended.');
        }
      } while (checkAgain);
    })()
      .catch((err: unknown) => logger.warn({ err }, 'session check failed'))
      .finally(() => {
        checkingSessions = null;
      });
    checkingSessions = check;
    return check;
  }
  const sessionTimer = setInterval(() => void checkSessions(), options.sessionCheckMs ?? 250);
  sessionTimer.unref();

  const forwarded = { trustProxy: config.trustProxy, publicUrl: options.publicUrl };
  const clientIp = (req: IncomingMessage) => clientAddress(req.headers, req.socket.remoteAddress, forwarded);

  function reject(socket: Duplex, code: ErrorCode, message: string): void {
    const status = HTTP_STATUS[code];
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status} ${code}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const role = url.pathname === '/ws/visitor' ? 'visitor' : url.pathname === '/ws/agent' ? 'agent' : null;
    if (!role) return reject(socket, ErrorCode.NOT_FOUND, 'No such endpoint.');
    if (closing) return reject(socket, ErrorCode.SHUTTING_DOWN, 'The server is shutting down.');
    const ip = clientIp(req);
    if ((perIp.get(ip) ?? 0) >= config.connectionsPerIp || conns.size >= config.maxConnections) {
      return reject(socket, ErrorCode.TOO_MANY_CONNECTIONS, 'Too many connections.');
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (!offered.includes(SUBPROTOCOL)) return reject(socket, ErrorCode.BAD_FRAME, `Offer the sub-protocol ${SUBPROTOCOL}.`);
    // Count the socket from here, so that slow auth lookups cannot be used to exceed the limit.
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    let counted = true;
    const uncount = () => {
      if (!counted) return;
      counted = false;
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    };
    try {
      const conn: Conn = {
        id: `s${++nextConnId}`,
        ws: null as unknown as WebSocket,
        ip,
        role,
        helloDone: false,
        subs: new Map(),
        replaying: new Map(),
        replayInFlight: new Set(),
        userAgent: String(req.headers['user-agent'] ?? '').slice(0, 512),
        sent: new Map(),
        chain: Promise.resolve(),
        serialInFlight: 0,
        pipelined: 0,
        drainWaiters: [],
        authTimer: null,
        lang: null,
      };
      if (role === 'visitor') {
        const site = await sites.get(url.searchParams.get('site') ?? '');
        if (!site) {
          uncount();
          return reject(socket, ErrorCode.NOT_FOUND, 'Unknown site.');
        }
        const origin = req.headers.origin;
        if (!originAllowed(site, origin)) {
          uncount();
          options.originRefused?.(site, origin, 'socket');
          return reject(socket, ErrorCode.ORIGIN_NOT_ALLOWED, 'This origin may not use this site.');
        }
        conn.siteKey = site.key;
        const tokenProto = offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
        if (tokenProto) {
          const visitor = await auth.visitorForToken(tokenProto.slice(TOKEN_SUBPROTOCOL_PREFIX.length), site.key);
          if (!visitor) {
            uncount();
            return reject(socket, ErrorCode.UNAUTHORIZED, 'Unknown visitor token.');
          }
          conn.visitor = {
            kind: 'visitor',
            id: visitor.id,
            siteKey: visitor.siteKey,
            name: visitor.name,
            verified: visitor.row.verified === 1,
          };
        }
      } else {
        const origin = req.headers.origin;
        const expected = requestOrigin(req.headers, forwarded);
        if (!origin || !expected || origin !== expected) {
          uncount();
          return reject(socket, ErrorCode.FORBIDDEN, 'Cross-site WebSocket requests are not allowed.');
        }
        const session = parseCookies(req.headers.cookie)[SESSION_COOKIE];
        const agent = await auth.agentForSession(session);
        if (!agent) {
          uncount();
          return reject(socket, ErrorCode.UNAUTHORIZED, 'Log in first.');
        }
        conn.agent = agent;
        conn.sessionHash = hashToken(session!);
      }
      if (socket.destroyed) return uncount();
      wss.handleUpgrade(req, socket, head, (ws) => {
        conn.ws = ws;
        accept(conn, uncount);
      });
    } catch (err) {
      uncount();
      logger.error({ err }, 'upgrade failed');
      reject(socket, ErrorCode.INTERNAL, 'Internal error.');
    }
  }

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

  /** Bytes a replay lets queue up on a socket before it waits for the socket to drain. */
  const replayHighWater = Math.floor(config.socketHighWaterBytes / 4);

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
      JSON.stringify({
        type: 'error',
        code,
        message,
        ...(extra.cid ? { cid: extra.cid } : {}),
        ...(extra.path ? { path: extra.path } : {}),
      }),
    );
  }

  function closeWith(conn: Conn, closeCode: number, code: ErrorCode, message: string): void {
    sendError(conn, code, message);
    conn.ws.close(closeCode, code);
  }

  function accept(conn: Conn, uncount: () => void): void {
    const { ws } = conn;
    conns.add(conn);
    conn.authTimer = setTimeout(() => {
      if (!conn.helloDone) closeWith(conn, CloseCode.POLICY, ErrorCode.AUTH_TIMEOUT, 'Say hello first.');
    }, config.authTimeoutSeconds * 1000);
    const beat: HeartbeatMember = { ping: () => ws.ping(), terminate: () => ws.terminate() };
    ws.on('pong', heartbeat.add(beat));
    ws.on('message', (data: RawData, isBinary: boolean) => onMessage(conn, data, isBinary));
    ws.on('error', (err) => {
      // ws closes the socket itself with the fitting code (1009 too big, 1007 invalid UTF-8).
      logger.debug({ conn: conn.id, err: err.message }, 'socket error');
    });
    ws.on('close', () => {
      conns.delete(conn);
      heartbeat.remove(beat);
      uncount();
      if (conn.authTimer) clearTimeout(conn.authTimer);
      for (const off of conn.subs.values()) off();
      conn.subs.clear();
      if (conn.agent) presence.leave(conn.agent.id, conn.id);
    });
  }

  function subscribe(conn: Conn, topic: string, listener: (m: HubMessage) => void): void {
    if (conn.subs.has(topic)) return;
    conn.subs.set(topic, hub.subscribe(topic, listener));
  }

  /** Delivers a hub message, holding it back while its conversation is being replayed. */
  function deliver(conn: Conn, message: HubMessage, json: string | null, seq: number | null | undefined): void {
    if (json === null) return;
    if (message.origin === conn.id) return;
    const buffered = conn.replaying.get(message.conversationId);
    if (buffered) {
      buffered.push(message);
      return;
    }
    if (seq !== undefined && seq !== null) {
      const last = conn.sent.get(message.conversationId);
      if (last !== undefined) {
        if (seq <= last) return;
        if (seq > last + 1) {
          // A gap is never silent: fetch what is missing from the log (this frame included).
          void fillGap(conn, message.conversationId, last);
          return;
        }
      }
      conn.sent.set(message.conversationId, seq);
    }
    send(conn, json);
  }

  const visitorListener = (conn: Conn) => (m: HubMessage) => deliver(conn, m, m.visitor, m.visitorSeq);
  const agentListener = (conn: Conn) => (m: HubMessage) => deliver(conn, m, m.agent, m.seq);

  async function fillGap(conn: Conn, conversationId: string, last: number): Promise<void> {
    try {
      const conv = await service.conversationById(conversationId);
      if (conv) await replay(conn, conv, last);
    } catch (err) {
      logger.error({ err, conn: conn.id }, 'gap fill failed');
      conn.ws.close(CloseCode.INTERNAL, ErrorCode.INTERNAL);
    }
  }

  async function replay(conn: Conn, conv: ConversationRow, afterSeq: number): Promise<void> {
    const audience = conn.role;
    if (conn.replayInFlight.has(conv.id)) return;
    conn.replayInFlight.add(conv.id);
    // Live frames for this conversation wait until the replay has been sent (a buffer may exist already).
    if (!conn.replaying.has(conv.id)) conn.replaying.set(conv.id, []);
    try {
      const { frames: replayed, more } = await service.replay(conv, audience, afterSeq, config.replayBatch);
      // A client claiming to have seen more than exists resumes from what exists.
      let last = Math.min(afterSeq, audience === 'agent' ? conv.last_seq : conv.last_visitor_seq);
      for (const f of replayed) {
        // Flow control: a batch may hold megabytes (500 long messages), more than a socket may
        // queue; past a quarter of that limit the replay waits until the socket has drained.
        if (conn.ws.bufferedAmount > replayHighWater) await sendDrained(conn, f.json);
        else send(conn, f.json);
        if (conn.ws.readyState !== conn.ws.OPEN) return;
        last = f.seq;
      }
      conn.sent.set(conv.id, last);
      send(conn, JSON.stringify({ type: 'replay.done', conversationId: conv.id, lastSeq: last, more }));
      const held = conn.replaying.get(conv.id) ?? [];
      conn.replaying.delete(conv.id);
      // With more to come, live frames are dropped: the client resumes from lastSeq and gets them from the log.
      if (!more) for (const m of held) (audience === 'visitor' ? visitorListener(conn) : agentListener(conn))(m);
    } finally {
      conn.replaying.delete(conv.id);
      conn.replayInFlight.delete(conv.id);
    }
  }

  function onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (!frames.hit(conn.id)) {
      closeWith(conn, CloseCode.POLICY, ErrorCode.RATE_LIMITED, 'Too many frames; slow down.');
      return;
    }
    if (isBinary) {
      sendError(conn, ErrorCode.BAD_FRAME, 'Send JSON text frames.');
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      sendError(conn, ErrorCode.BAD_JSON, 'A frame must be one JSON object.');
      return;
    }
    const schema = conn.role === 'visitor' ? visitorFrameSchema : agentFrameSchema;
    const parsed = schema.safeParse(raw);
    const cid =
      raw && typeof raw === 'object' && typeof (raw as { cid?: unknown }).cid === 'string'
        ? (raw as { cid: string }).cid.slice(0, 64)
        : undefined;
    if (!parsed.success) {
      const type = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw) || typeof type !== 'string') {
        sendError(conn, ErrorCode.BAD_FRAME, 'A frame is a JSON object with a string "type".', { cid });
      } else if (!knownType(conn.role, type)) {
        sendError(conn, ErrorCode.UNKNOWN_TYPE, `Unknown frame type for a ${conn.role}.`, { cid });
      } else {
        const issue = parsed.error.issues[0];
        const path = issue?.path.join('.') ?? '';
        sendError(conn, ErrorCode.BAD_FRAME, `${path || 'frame'}: ${issue?.message ?? 'invalid'}`, { cid, path });
      }
      return;
    }
    const handle = () =>
      (conn.role === 'visitor' ? handleVisitor(conn, parsed.data as VisitorFrame) : handleAgent(conn, parsed.data as AgentFrame)).catch(
        (err: unknown) => {
          if (!(err instanceof ServusError))
            logger.error({ err, conn: conn.id, type: (parsed.data as { type: string }).type }, 'handler failed');
          const pub = toPublicError(err);
          sendError(conn, pub.code, pub.message, { cid, path: pub.path });
        },
      );
    if (parsed.data.type === 'message.send' && conn.serialInFlight === 0) {
      // Messages are pipelined: each enters the group-commit queue at once (the handler reaches it
      // without an await), and that queue keeps the socket's order, so a socket's messages share a
      // batch instead of waiting one commit each. Acks still come back in the order sent.
      // handle() never rejects (it answers errors itself). A counter instead of a promise chain per
      // message: the next serial command and shutdown wait for it to reach 0.
      conn.pipelined += 1;
      void handle().then(() => {
        if (--conn.pipelined === 0) for (const wake of conn.drainWaiters.splice(0)) wake();
      });
      return;
    }
    // Every other command: one at a time per socket, in the order sent, after the messages before it
    // (with none queued, only pipelined messages can be outstanding).
    const after = conn.serialInFlight === 0 ? pipelinedDone(conn) : conn.chain;
    conn.serialInFlight += 1;
    conn.chain = after.then(handle).finally(() => {
      conn.serialInFlight -= 1;
    });
  }

  /** Resolves once every message pipelined on this socket so far has been answered. */
  function pipelinedDone(conn: Conn): Promise<void> {
    if (conn.pipelined === 0) return Promise.resolve();
    return new Promise((resolve) => conn.drainWaiters.push(resolve));
  }

  const visitorTypes = new Set(visitorFrameSchema.options.map((o) => o.shape.type.value as string));
  const agentTypes = new Set(agentFrameSchema.options.map((o) => o.shape.type.value as string));
  function knownType(role: 'visitor' | 'agent', type: string): boolean {
    return (role === 'visitor' ? visitorTypes : agentTypes).has(type);
  }

  function ack(conn: Conn, a: object): void {
    send(conn, JSON.stringify(a));
  }

  function welcomeLimits(): WelcomeFrame['limits'] {
    return {
      maxMessageChars: config.maxMessageChars,
      maxFrameBytes: config.maxFrameBytes,
      visitorMessagesPerWindow: config.visitorMessagesPerWindow,
      rateWindowMs: config.rateWindowMs,
    };
  }

  function checkText(text: string): void {
    if (text.length > config.maxMessageChars)
      throw new ServusError(ErrorCode.TOO_LARGE, `A message has at most ${config.maxMessageChars} characters.`, { path: 'text' });
  }

  async function handleVisitor(conn: Conn, frame: VisitorFrame): Promise<void> {
    if (!conn.helloDone && frame.type !== 'visitor.hello') throw new ServusError(ErrorCode.UNAUTHORIZED, 'Say hello first.');
    switch (frame.type) {
      case 'visitor.hello': {
        if (conn.helloDone) throw new ServusError(ErrorCode.INVALID_STATE, 'Already said hello.');
        let token: string | undefined;
        const context = JSON.stringify({ ...(frame.context ?? {}), userAgent: conn.userAgent });
        if (!conn.visitor && frame.token) {
          const visitor = await auth.visitorForToken(frame.token, conn.siteKey!);
          if (!visitor) {
            closeWith(conn, CloseCode.POLICY, ErrorCode.UNAUTHORIZED, 'Unknown visitor token.');
            return;
          }
          conn.visitor = {
            kind: 'visitor',
            id: visitor.id,
            siteKey: visitor.siteKey,
            name: visitor.name,
            verified: visitor.row.verified === 1,
          };
        }
        if (!conn.visitor) {
          const created = await auth.createVisitor(conn.siteKey!, context);
          conn.visitor = created.visitor;
          token = created.token;
        } else {
          await service.touchVisitor(conn.visitor.id, context);
        }
        conn.lang = frame.context?.lang?.slice(0, 2).toLowerCase() ?? null;
        conn.helloDone = true;
        if (conn.authTimer) clearTimeout(conn.authTimer);
        const visitor = conn.visitor;
        // Proactive attribution: a conversation this visit creates counts for the greeting that led to it.
        visitor.proactiveRuleId = frame.context?.proactiveRuleId ?? null;
        // Hold live frames of the conversation being resumed until its replay is sent.
        if (frame.resume) conn.replaying.set(frame.resume.conversationId, []);
        subscribe(conn, topics.visitor(visitor.id), visitorListener(conn));
        const current = await service.currentConversation(visitor.id);
        const welcome: WelcomeFrame = {
          type: 'welcome',
          role: 'visitor',
          protocol: 1,
          serverTime: Date.now(),
          limits: welcomeLimits(),
          visitorId: visitor.id,
          identified: visitor.verified ?? false,
          conversation: current ? await service.viewFor(current, 'visitor') : null,
        };
        if (token) welcome.token = token;
        send(conn, JSON.stringify(welcome));
        if (frame.resume) {
          const resumeId = frame.resume.conversationId;
          const conv = await service.visitorConversation(visitor, resumeId).catch((err: unknown) => {
            conn.replaying.delete(resumeId);
            throw err;
          });
          await replay(conn, conv, frame.resume.lastSeq);
        }
        return;
      }
      case 'message.send': {
        checkText(frame.text);
        const visitor = conn.visitor!;
        if (!visitorMessages.hit(visitor.id)) throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many messages; wait a moment.');
        ack(
          conn,
          await service.visitorMessage(visitor, {
            cid: frame.cid,
            text: frame.text,
            conversationId: frame.conversationId,
            lang: conn.lang,
          }),
        );
        return;
      }
      case 'handoff.request':
        ack(conn, await service.requestHandoff(conn.visitor!, { cid: frame.cid, conversationId: frame.conversationId, lang: conn.lang }));
        return;
      case 'conversation.rate':
        ack(conn, await service.rate(conn.visitor!, frame));
        return;
      case 'conversation.close':
        ack(conn, await service.closeByVisitor(conn.visitor!, frame));
        return;
      case 'conversation.resume': {
        const conv = await service.visitorConversation(conn.visitor!, frame.conversationId);
        await replay(conn, conv, frame.lastSeq);
        return;
      }
      case 'conversation.read':
        await service.markRead(conn.visitor!, frame.conversationId, frame.seq);
        return;
      case 'typing.update': {
        const conv = await service.visitorConversation(conn.visitor!, frame.conversationId);
        service.publishTyping(conn.visitor!, conv, frame.active, conn.id);
        return;
      }
      case 'visitor.profile':
        ack(conn, await service.setProfile(conn.visitor!, frame));
        return;
      case 'offline.submit':
        if (!visitorMessages.hit(conn.visitor!.id)) throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many messages; wait a moment.');
        {
          const done = await service.submitOffline(conn.visitor!, { ...frame, lang: conn.lang });
          ack(conn, done);
          if (!done.duplicate && done.conversationId)
            options.onOfflineMessage?.(conn.visitor!, done.conversationId, frame.email, frame.message);
        }
        return;
      case 'conversation.transcript': {
        const conv = await service.visitorConversation(conn.visitor!, frame.conversationId);
        if (!transcripts.hit(conv.id)) throw new ServusError(ErrorCode.RATE_LIMITED, 'A transcript was sent a moment ago.');
        if (!options.sendTranscript || !(await options.sendTranscript(conn.visitor!, conv.id, frame.email))) {
          throw new ServusError(ErrorCode.INVALID_STATE, 'Transcripts cannot be emailed: no email service, or no address known.');
        }
        ack(conn, { type: 'ack', cid: frame.cid, conversationId: conv.id });
        return;
      }
      case 'visitor.identify': {
        const site = await sites.get(conn.visitor!.siteKey);
        ack(conn, await service.identify(conn.visitor!, frame, site?.secret ?? null));
        conn.visitor!.verified = true;
        return;
      }
    }
  }

  async function handleAgent(conn: Conn, frame: AgentFrame): Promise<void> {
    const agent = conn.agent!;
    if (!conn.helloDone && frame.type !== 'agent.hello') throw new ServusError(ErrorCode.UNAUTHORIZED, 'Say hello first.');
    switch (frame.type) {
      case 'agent.hello': {
        if (conn.helloDone) throw new ServusError(ErrorCode.INVALID_STATE, 'Already said hello.');
        conn.helloDone = true;
        if (conn.authTimer) clearTimeout(conn.authTimer);
        presence.join(agent.id, agent.siteKeys, conn.id, frame.status ?? 'online');
        subscribe(conn, topics.agent(agent.id), agentListener(conn));
        send(
          conn,
          JSON.stringify({
            type: 'welcome',
            role: 'agent',
            protocol: 1,
            serverTime: Date.now(),
            limits: welcomeLimits(),
            agent: { id: agent.id, name: agent.name, email: agent.email, role: agent.role, siteKeys: agent.siteKeys },
          } satisfies WelcomeFrame),
        );
        return;
      }
      case 'queue.subscribe': {
        for (const key of agent.siteKeys) {
          subscribe(conn, topics.site(key), (m) => {
            // A conversation the agent follows already delivers its status frames.
            if (conn.subs.has(topics.conversation(m.conversationId))) return;
            if (m.agent !== null && m.origin !== conn.id) send(conn, m.agent);
          });
        }
        send(conn, JSON.stringify({ type: 'queue.snapshot', conversations: await service.listForAgent(agent) }));
        return;
      }
      case 'conversation.subscribe': {
        const conv = await service.agentConversation(agent, frame.conversationId);
        subscribe(conn, topics.conversation(conv.id), agentListener(conn));
        await replay(conn, conv, frame.lastSeq);
        return;
      }
      case 'conversation.unsubscribe': {
        conn.subs.get(topics.conversation(frame.conversationId))?.();
        conn.subs.delete(topics.conversation(frame.conversationId));
        conn.sent.delete(frame.conversationId);
        return;
      }
      case 'message.send':
        checkText(frame.text);
        if (!agentMessages.hit(agent.id)) throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many messages; wait a moment.');
        ack(conn, await service.agentMessage(agent, frame));
        return;
      case 'note.add':
        checkText(frame.text);
        if (!agentMessages.hit(agent.id)) throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many messages; wait a moment.');
        ack(conn, await service.addNote(agent, frame));
        return;
      case 'typing.update': {
        const conv = await service.agentConversation(agent, frame.conversationId);
        service.publishTyping(agent, conv, frame.active, conn.id);
        return;
      }
      case 'conversation.read':
        await service.markRead(agent, frame.conversationId, frame.seq);
        return;
      case 'conversation.claim':
        ack(conn, await service.claim(agent, frame));
        return;
      case 'conversation.transfer':
        ack(conn, await service.transfer(agent, frame));
        return;
      case 'conversation.resolve':
        ack(conn, await service.resolve(agent, frame));
        return;
      case 'conversation.release':
        ack(conn, await service.release(agent, frame));
        return;
      case 'conversation.reopen':
        ack(conn, await service.reopen(agent, frame));
        return;
      case 'agent.status':
        presence.setStatus(agent.id, conn.id, frame.status);
        return;
    }
  }

  return {
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(req, socket, head),
    /** Closes an agent's sockets (a removed agent, a changed password), except those of one session. */
    disconnectAgent(agentId: string, keepSessionHash?: string): void {
      for (const conn of conns) {
        if (conn.agent?.id === agentId && conn.sessionHash !== keepSessionHash)
          closeWith(conn, CloseCode.POLICY, ErrorCode.UNAUTHORIZED, 'Your session has ended.');
      }
    },
    /** Closes, now, the agent sockets whose session has ended (a logout on this instance). */
    checkSessions,
    get size() {
      return conns.size;
    },
    /** Stops accepting and closes every socket with 1001. */
    async close(): Promise<void> {
      closing = true;
      heartbeat.stop();
      clearInterval(sessionTimer);
      for (const conn of conns) conn.ws.close(CloseCode.GOING_AWAY, ErrorCode.SHUTTING_DOWN);
      await Promise.all([...conns].flatMap((c) => [c.chain, pipelinedDone(c)]));
      const deadline = Date.now() + 2000;
      while (conns.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const conn of conns) conn.ws.terminate();
      wss.close();
    },
  };
}

export type SocketServer = ReturnType<typeof createSocketServer>;
