// Commands from sockets: every frame is counted, parsed and validated against the protocol's
// schemas, then handled by the visitor's or the agent's handler. Messages are pipelined into the
// write queue; every other command runs after the ones before it, one at a time per socket. A
// handler's failure never reaches the socket loop: it becomes an error frame with the command's cid.
import type { RawData } from 'ws';
import { CloseCode, ErrorCode, type WelcomeFrame } from '@servus/shared';
import {
  quickMessageSend,
  agentFrame as agentFrameSchema,
  visitorFrame as visitorFrameSchema,
  type AgentFrame,
  type VisitorFrame,
} from '@servus/shared/schemas';
import type { Auth } from '../auth/auth.js';
import type { Config } from '../core/config.js';
import type { ConversationRow, Conversations } from '../conversations/index.js';
import { ServusError, toPublicError, zodIssueMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SiteDirectory } from '../sites/sites.js';
import type { Conn, Sender } from './connection.js';
import type { Delivery } from './delivery.js';
import type { Forwarding } from './forwarding.js';
import { ackFrame, queueSnapshotFrame, typingFrame, welcomeFrame } from './frames.js';
import { topics, type Hub, type HubMessage } from '../pubsub/hub.js';
import type { Presence } from '../presence/presence.js';
import type { RateLimiter, SharedRateLimiter } from '../core/rate-limit.js';

export interface DispatchOptions {
  config: Config;
  logger: Logger;
  auth: Auth;
  hub: Hub;
  sites: SiteDirectory;
  conversations: Conversations;
  presence: Presence;
  sender: Sender;
  delivery: Delivery;
  /** Agents' messages to a conversation whose visitor is on another instance are written there. */
  forwarding: Forwarding;
  /** Frames per socket (local); messages per visitor and agent, transcripts per conversation (shared across instances). */
  limits: { frames: RateLimiter; visitorMessages: SharedRateLimiter; agentMessages: SharedRateLimiter; transcripts: SharedRateLimiter };
  /** Sends the conversation to the visitor by email; false when email is off or no address is known. */
  sendTranscript?:
    ((visitorId: string, siteKey: string, conversationId: string, email: string | undefined) => Promise<boolean>) | undefined;
  /** An agent's account changed (status, name, ...): every instance refreshes its sockets of them. */
  agentChanged?: ((agentId: string) => void) | undefined;
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

export function createDispatcher(options: DispatchOptions) {
  const { config, logger, auth, hub, sites, conversations, presence, sender, delivery, forwarding, limits } = options;
  const { commands, queries } = conversations;
  const { send, sendError, closeWith } = sender;

  const visitorTypes = new Set(visitorFrameSchema.options.map((o) => o.shape.type.value as string));
  const agentTypes = new Set(agentFrameSchema.options.map((o) => o.shape.type.value as string));

  /** Resolves once live messages of the topic reach the socket (read the database after it). */
  async function subscribe(conn: Conn, topic: string, listener: (m: HubMessage) => void): Promise<void> {
    if (conn.subs.has(topic)) return;
    const subscription = hub.subscribe(topic, listener);
    conn.subs.set(topic, subscription);
    await subscription.ready;
  }

  /**
   * Keeps the status the agent chose (agents.status) and tells every instance, whose sockets of this
   * agent take it over (presence and the console's status menu on other devices).
   */
  async function setStatus(conn: Conn, status: 'online' | 'away' | 'offline'): Promise<void> {
    conn.agent!.status = status;
    await auth.setAgentStatus(conn.agent!.id, status);
    options.agentChanged?.(conn.agent!.id);
  }

  /** Resolves once every message pipelined on this socket so far has been answered. */
  function pipelinedDone(conn: Conn): Promise<void> {
    if (conn.pipelined === 0) return Promise.resolve();
    return new Promise((resolve) => conn.drainWaiters.push(resolve));
  }

  function onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (!limits.frames.hit(conn.id)) {
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
    // A message goes the quick way (the same rules, without zod); anything else, or a message with a fault, the full schema's.
    const quick = quickMessageSend(raw, conn.role === 'agent');
    const parsed = quick
      ? ({ success: true, data: quick } as const)
      : conn.role === 'visitor'
        ? visitorFrameSchema.safeParse(raw)
        : agentFrameSchema.safeParse(raw);
    const cid =
      raw && typeof raw === 'object' && typeof (raw as { cid?: unknown }).cid === 'string'
        ? (raw as { cid: string }).cid.slice(0, 64)
        : undefined;
    if (!parsed.success) {
      const type = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw) || typeof type !== 'string') {
        sendError(conn, ErrorCode.BAD_FRAME, 'A frame is a JSON object with a string "type".', { cid });
      } else if (!(conn.role === 'visitor' ? visitorTypes : agentTypes).has(type)) {
        sendError(conn, ErrorCode.UNKNOWN_TYPE, `Unknown frame type for a ${conn.role}.`, { cid });
      } else {
        const { message, path } = zodIssueMessage(parsed.error.issues[0], 'frame');
        sendError(conn, ErrorCode.BAD_FRAME, message, { cid, path });
      }
      return;
    }
    const frame = parsed.data;
    // A hello that arrived in time authenticates in time, however long its look-ups then take.
    if ((frame.type === 'visitor.hello' || frame.type === 'agent.hello') && conn.authTimer) {
      clearTimeout(conn.authTimer);
      conn.authTimer = null;
    }
    const handle = () =>
      (conn.role === 'visitor' ? handleVisitor(conn, frame as VisitorFrame) : handleAgent(conn, frame as AgentFrame)).catch(
        (err: unknown) => {
          if (!(err instanceof ServusError)) logger.error({ err, conn: conn.id, type: frame.type }, 'handler failed');
          const pub = toPublicError(err);
          sendError(conn, pub.code, pub.message, { cid, path: pub.path });
        },
      );
    if (frame.type === 'message.send' && conn.serialInFlight === 0) {
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

  async function sendQueueSnapshot(conn: Conn): Promise<void> {
    send(conn, queueSnapshotFrame({ type: 'queue.snapshot', conversations: await queries.queueSnapshot(conn.agent!) }));
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

  /**
   * A shared limit answers at once from this instance's share, or after a round trip to Redis when
   * the share is used up. Once one check waits, the socket's later checks wait behind it, so the
   * answers (and so the socket's messages into the write queue) keep the order the frames came in.
   */
  function allowed(conn: Conn, limiter: SharedRateLimiter, key: string): boolean | Promise<boolean> {
    const answer = conn.limitWait ? conn.limitWait.then(() => limiter.hit(key)) : limiter.hit(key);
    if (typeof answer === 'boolean') return answer;
    const done = () => {
      if (conn.limitWait === settled) conn.limitWait = null;
    };
    const settled: Promise<unknown> = answer.then(done, done);
    conn.limitWait = settled;
    return answer;
  }

  function rateLimited(): ServusError {
    return new ServusError(ErrorCode.RATE_LIMITED, 'Too many messages; wait a moment.');
  }

  /**
   * A visitor's socket follows a conversation of the same verified identity on another device (its
   * frames go to that device's visitor topic): it listens on the conversation's topic for the
   * visitor's frames. Live frames wait until the replay that follows has been sent.
   */
  async function followLinked(conn: Conn, conv: ConversationRow): Promise<void> {
    if (conv.visitor_id === conn.visitor!.id || conn.subs.has(topics.conversation(conv.id))) return;
    if (!conn.replaying.has(conv.id)) conn.replaying.set(conv.id, []);
    await subscribe(conn, topics.conversation(conv.id), delivery.listener(conn));
  }

  /** Follows and replays a conversation of another device that a verified visitor's command wrote into or continues. */
  async function continueLinked(conn: Conn, conversationId: string | undefined): Promise<void> {
    if (!conn.visitor!.verified || !conversationId || conn.sent.has(conversationId) || conn.subs.has(topics.conversation(conversationId)))
      return;
    const conv = await conversations.visitorConversation(conn.visitor!, conversationId);
    if (conv.visitor_id === conn.visitor!.id) return;
    await followLinked(conn, conv);
    await delivery.replay(conn, conv, 0);
  }

  /** Only a socket that may see the conversation hears of typing in it. */
  function publishTyping(conn: Conn, conversationId: string, visitorId: string, active: boolean): void {
    const author = conn.agent ? { type: 'agent' as const, id: conn.agent.id, name: conn.agent.name } : { type: 'visitor' as const };
    const frame = typingFrame({ type: 'typing', conversationId, author, active });
    if (!conn.agent) {
      hub.publish([topics.conversation(conversationId)], { conversationId, agent: frame, visitor: null, origin: conn.id });
      return;
    }
    // The visitor's frame on the conversation's topic too: the same verified visitor on another device follows it there.
    hub.publish([topics.visitor(visitorId), topics.conversation(conversationId)], {
      conversationId,
      agent: frame,
      visitor: frame,
      origin: conn.id,
    });
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
        let visitor = conn.visitor;
        if (!visitor) {
          const created = await auth.createVisitor(conn.siteKey!, context);
          visitor = conn.visitor = created.visitor;
          token = created.token;
        } else {
          await commands.touchVisitor(visitor.id, context);
        }
        conn.lang = frame.context?.lang?.slice(0, 2).toLowerCase() ?? null;
        conn.helloDone = true;
        // Proactive attribution: a conversation this visit creates counts for the greeting that led to it.
        visitor.proactiveRuleId = frame.context?.proactiveRuleId ?? null;
        // Hold live frames of the conversation being resumed until its replay is sent.
        if (frame.resume) conn.replaying.set(frame.resume.conversationId, []);
        await subscribe(conn, topics.visitor(visitor.id), delivery.listener(conn));
        const current = await conversations.visitorCurrent(visitor);
        send(
          conn,
          welcomeFrame({
            type: 'welcome',
            role: 'visitor',
            protocol: 1,
            serverTime: Date.now(),
            limits: welcomeLimits(),
            visitorId: visitor.id,
            identified: visitor.verified ?? false,
            conversation: current ? await queries.viewFor(current, 'visitor') : null,
            ...(token ? { token } : {}),
          }),
        );
        if (frame.resume) {
          const resumeId = frame.resume.conversationId;
          const conv = await conversations.visitorConversation(visitor, resumeId).catch((err: unknown) => {
            conn.replaying.delete(resumeId);
            throw err;
          });
          await followLinked(conn, conv);
          await delivery.replay(conn, conv, frame.resume.lastSeq);
        }
        return;
      }
      case 'message.send': {
        checkText(frame.text);
        const visitor = conn.visitor!;
        const ok = allowed(conn, limits.visitorMessages, visitor.id);
        if (ok !== true && !(await ok)) throw rateLimited();
        const ack = await commands.visitorMessage(visitor, {
          cid: frame.cid,
          text: frame.text,
          conversationId: frame.conversationId,
          lang: conn.lang,
        });
        send(conn, ackFrame(ack));
        // A verified visitor's message may have gone to the identity's conversation on another device.
        if (conn.visitor!.verified) await continueLinked(conn, ack.conversationId);
        return;
      }
      case 'handoff.request':
        send(
          conn,
          ackFrame(await commands.requestHandoff(conn.visitor!, { cid: frame.cid, conversationId: frame.conversationId, lang: conn.lang })),
        );
        return;
      case 'conversation.rate':
        send(conn, ackFrame(await commands.rate(conn.visitor!, frame)));
        return;
      case 'conversation.close':
        send(conn, ackFrame(await commands.closeByVisitor(conn.visitor!, frame)));
        return;
      case 'answer.feedback':
        send(conn, ackFrame(await commands.answerFeedback(conn.visitor!, frame)));
        return;
      case 'conversation.resume': {
        const conv = await conversations.visitorConversation(conn.visitor!, frame.conversationId);
        await followLinked(conn, conv);
        await delivery.replay(conn, conv, frame.lastSeq);
        return;
      }
      case 'conversation.read':
        await commands.markRead(conn.visitor!, frame.conversationId, frame.seq);
        return;
      case 'typing.update': {
        const conv = await conversations.visitorConversation(conn.visitor!, frame.conversationId);
        publishTyping(conn, conv.id, conv.visitor_id, frame.active);
        return;
      }
      case 'visitor.profile':
        send(conn, ackFrame(await commands.setProfile(conn.visitor!, frame)));
        return;
      case 'offline.submit':
        if (!(await allowed(conn, limits.visitorMessages, conn.visitor!.id))) throw rateLimited();
        send(conn, ackFrame(await commands.submitOffline(conn.visitor!, { ...frame, lang: conn.lang })));
        return;
      case 'conversation.transcript': {
        const conv = await conversations.visitorConversation(conn.visitor!, frame.conversationId);
        if (!(await allowed(conn, limits.transcripts, conv.id)))
          throw new ServusError(ErrorCode.RATE_LIMITED, 'A transcript was sent a moment ago.');
        if (!options.sendTranscript || !(await options.sendTranscript(conn.visitor!.id, conn.visitor!.siteKey, conv.id, frame.email))) {
          throw new ServusError(ErrorCode.INVALID_STATE, 'Transcripts cannot be emailed: no email service, or no address known.');
        }
        send(conn, ackFrame({ type: 'ack', cid: frame.cid, conversationId: conv.id }));
        return;
      }
      case 'visitor.identify': {
        const site = await sites.get(conn.visitor!.siteKey);
        const ack = await commands.identify(conn.visitor!, frame, site?.secret ?? null);
        send(conn, ackFrame(ack));
        // Verified: the identity's open conversation on another device is continued here, live.
        await continueLinked(conn, ack.conversationId);
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
        // The status the agent chose last time, on whatever device; a hello naming one changes it.
        if (frame.status && frame.status !== agent.status) await setStatus(conn, frame.status);
        presence.join(agent.id, agent.siteKeys, conn.id, agent.status);
        await subscribe(conn, topics.agent(agent.id), delivery.listener(conn));
        send(
          conn,
          welcomeFrame({
            type: 'welcome',
            role: 'agent',
            protocol: 1,
            serverTime: Date.now(),
            limits: welcomeLimits(),
            agent: {
              id: agent.id,
              name: agent.name,
              email: agent.email,
              role: agent.role,
              siteKeys: agent.siteKeys,
              status: agent.status,
              initials: agent.initials,
              lang: agent.lang,
            },
          }),
        );
        return;
      }
      case 'queue.subscribe': {
        for (const key of agent.siteKeys) {
          await subscribe(conn, topics.site(key), (m) => {
            // A conversation the agent follows already delivers its status frames.
            if (conn.subs.has(topics.conversation(m.conversationId))) return;
            if (m.agent !== null && m.origin !== conn.id) send(conn, m.agent);
          });
        }
        conn.queueSubscribed = true;
        await sendQueueSnapshot(conn);
        return;
      }
      case 'conversation.subscribe': {
        const conv = await conversations.agentConversation(agent, frame.conversationId);
        // Live frames wait from the moment of subscribing until the replay is sent: one sent in
        // between would be sent again by the replay (a duplicate on the wire).
        if (!conn.replaying.has(conv.id)) conn.replaying.set(conv.id, []);
        await subscribe(conn, topics.conversation(conv.id), delivery.listener(conn));
        await delivery.replay(conn, conv, frame.lastSeq);
        return;
      }
      case 'conversation.unsubscribe': {
        conn.subs.get(topics.conversation(frame.conversationId))?.();
        conn.subs.delete(topics.conversation(frame.conversationId));
        conn.sent.delete(frame.conversationId);
        return;
      }
      case 'message.send': {
        checkText(frame.text);
        const ok = allowed(conn, limits.agentMessages, agent.id);
        if (ok !== true && !(await ok)) throw rateLimited();
        send(conn, ackFrame(await forwarding.agentMessage(conn.id, agent, frame)));
        return;
      }
      case 'note.add':
        checkText(frame.text);
        if (!(await allowed(conn, limits.agentMessages, agent.id))) throw rateLimited();
        send(conn, ackFrame(await commands.addNote(agent, frame)));
        return;
      case 'typing.update': {
        const conv = await conversations.agentConversation(agent, frame.conversationId);
        publishTyping(conn, conv.id, conv.visitor_id, frame.active);
        return;
      }
      case 'conversation.read':
        await commands.markRead(agent, frame.conversationId, frame.seq);
        return;
      case 'conversation.claim':
        send(conn, ackFrame(await commands.claim(agent, frame)));
        return;
      case 'conversation.transfer':
        send(conn, ackFrame(await commands.transfer(agent, frame)));
        return;
      case 'conversation.resolve':
        send(conn, ackFrame(await commands.resolve(agent, frame)));
        return;
      case 'conversation.release':
        send(conn, ackFrame(await commands.release(agent, frame)));
        return;
      case 'conversation.reopen':
        send(conn, ackFrame(await commands.reopen(agent, frame)));
        return;
      case 'agent.status':
        presence.setStatus(agent.id, conn.id, frame.status);
        await setStatus(conn, frame.status);
        return;
    }
  }

  return { onMessage, pipelinedDone, sendQueueSnapshot };
}
