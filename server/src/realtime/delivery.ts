// Delivery of a conversation's logged frames to one socket, in seq order, each once: live frames
// from the hub, replays from the database (a resume, a subscription), and gap fills when a live
// frame would skip a seq. A gap is never silent.
import { CloseCode, ErrorCode } from '@servus/shared';
import type { Config } from '../core/config.js';
import type { Conversations, ConversationRow } from '../conversations/index.js';
import type { Logger } from '../core/logger.js';
import type { Conn, Sender } from './connection.js';
import { replayDoneFrame, replayedFrame } from './frames.js';
import type { HubMessage } from '../pubsub/hub.js';

export type Delivery = ReturnType<typeof createDelivery>;

export function createDelivery({
  conversations,
  sender,
  config,
  logger,
}: {
  conversations: Conversations;
  sender: Sender;
  config: Pick<Config, 'replayBatch' | 'socketHighWaterBytes'>;
  logger: Logger;
}) {
  const { send, sendDrained } = sender;
  /** Bytes a replay lets queue up on a socket before it waits for the socket to drain. */
  const replayHighWater = Math.floor(config.socketHighWaterBytes / 4);

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
          // A gap is never silent: fetch what is missing from the log (this frame included). Live
          // frames are held from now on, not only once the replay has begun: one that arrived
          // meanwhile would be sent and then sent again by the replay (or start a second one).
          conn.replaying.set(message.conversationId, []);
          void fillGap(conn, message.conversationId, last);
          return;
        }
      }
      conn.sent.set(message.conversationId, seq);
    }
    send(conn, json);
  }

  /** The hub listener for a socket: the visitor's frames and seqs, or the agents'. */
  const listener = (conn: Conn) =>
    conn.role === 'visitor'
      ? (m: HubMessage) => deliver(conn, m, m.visitor, m.visitorSeq)
      : (m: HubMessage) => deliver(conn, m, m.agent, m.seq);

  async function fillGap(conn: Conn, conversationId: string, last: number): Promise<void> {
    try {
      const conv = await conversations.conversationById(conversationId);
      if (conv) await replay(conn, conv, last);
      else conn.replaying.delete(conversationId);
    } catch (err) {
      logger.error({ err, conn: conn.id }, 'gap fill failed');
      conn.ws.close(CloseCode.INTERNAL, ErrorCode.INTERNAL);
    }
  }

  /**
   * Sends the logged frames after `afterSeq` (one batch of REPLAY_BATCH at most, then `replay.done`
   * with `more`), then the live frames that arrived meanwhile. Flow-controlled: a batch may hold
   * megabytes (500 long messages), more than a socket may queue, so past a quarter of that limit the
   * replay waits until the socket has drained.
   */
  async function replay(conn: Conn, conv: ConversationRow, afterSeq: number): Promise<void> {
    const audience = conn.role;
    if (conn.replayInFlight.has(conv.id)) return;
    conn.replayInFlight.add(conv.id);
    // Live frames for this conversation wait until the replay has been sent (a buffer may exist already).
    if (!conn.replaying.has(conv.id)) conn.replaying.set(conv.id, []);
    try {
      const { rows, more } = await conversations.eventsAfter(conv, audience, afterSeq, config.replayBatch);
      const assigneeName = await conversations.agentName(conv.assignee_id);
      // A client claiming to have seen more than exists resumes from what exists.
      let last = Math.min(afterSeq, audience === 'agent' ? conv.last_seq : conv.last_visitor_seq);
      for (const row of rows) {
        const frame = replayedFrame(conv, row, audience, assigneeName);
        if (conn.ws.bufferedAmount > replayHighWater) await sendDrained(conn, frame.json);
        else send(conn, frame.json);
        if (conn.ws.readyState !== conn.ws.OPEN) return;
        last = frame.seq;
      }
      conn.sent.set(conv.id, last);
      send(conn, replayDoneFrame({ type: 'replay.done', conversationId: conv.id, lastSeq: last, more }));
      const held = conn.replaying.get(conv.id) ?? [];
      conn.replaying.delete(conv.id);
      // With more to come, live frames are dropped: the client resumes from lastSeq and gets them from the log.
      if (!more) {
        const deliverLive = listener(conn);
        for (const m of held) deliverLive(m);
      }
    } finally {
      conn.replaying.delete(conv.id);
      conn.replayInFlight.delete(conv.id);
    }
  }

  /**
   * After news may have been lost (a Redis outage): every socket gets, from the log, what was
   * written in the conversations it follows since the last frame it was sent. One read of the
   * conversations' seqs for all of them; replays only where a socket is behind.
   */
  async function catchUp(sockets: Iterable<Conn>): Promise<void> {
    const following = new Map<string, Conn[]>();
    for (const conn of sockets) {
      for (const id of conn.sent.keys()) {
        const list = following.get(id);
        if (list) list.push(conn);
        else following.set(id, [conn]);
      }
    }
    const ids = [...following.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      for (const conv of await conversations.conversationsById(ids.slice(i, i + 500))) {
        for (const conn of following.get(conv.id) ?? []) {
          const last = conn.sent.get(conv.id);
          const newest = conn.role === 'agent' ? conv.last_seq : conv.last_visitor_seq;
          if (last === undefined || last >= newest || conn.ws.readyState !== conn.ws.OPEN) continue;
          await replay(conn, conv, last).catch((err: unknown) => {
            logger.error({ err, conn: conn.id }, 'catch-up failed');
            conn.ws.close(CloseCode.INTERNAL, ErrorCode.INTERNAL);
          });
        }
      }
    }
  }

  return { deliver, listener, replay, catchUp };
}
