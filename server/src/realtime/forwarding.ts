// Write affinity between instances. A conversation whose visitor is on instance A and whose agent
// is on instance B would otherwise be written by both: their batches would lock the same rows and
// wait for each other, and each socket would get its frames in two parts (its own instance's
// commit, then the other's through Redis), out of seq order more often than not. So B sends its
// agent's message to A (a call through the hub, hub.ts), A writes it in its own batch with the
// visitor's, and B answers the agent with A's ack. A conversation then has one writer while its
// visitor stays, and both sockets get each batch's frames at once, in order.
//
// An optimisation, never a condition: any instance may write any conversation (its rows are
// locked, its cids exactly-once). A call that goes unanswered (the other instance died or hangs,
// Redis went away) or that did not run there (a call before it was lost, so running it would
// overtake that one) is written here instead, after the socket's earlier messages; one the other
// instance did write meanwhile is then found by its cid and answered with the stored ack. A call
// that ran there and failed is answered with its error, as it would be on one instance.
//
// A socket's messages are stored and answered in the order sent, as on one instance: they go one
// way at a time (a message that would go the other way waits until those before it are answered),
// the calls to one instance say which call must have reached it first, and each ack waits for the
// one before it.
import type { AckFrame, ErrorCode } from '@servus/shared';
import type { AgentActor } from '../core/actors.js';
import { ServusError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Call, Hub } from '../pubsub/hub.js';

/** How long a forwarded message waits for the other instance's answer before it is written here (ms). */
export const FORWARD_TIMEOUT_MS = 2000;

const AGENT_MESSAGE = 'agent.message';

type AgentMessage = { conversationId: string; cid: string; text: string };

interface Lane {
  /** Where this socket's messages go now: null here, else an instance. */
  route: string | null;
  /** The last call to `route`, which the next must follow. */
  lastCall: number | undefined;
  /** Messages not answered yet. */
  pending: number;
  /** Set while the lane waits for `pending` to reach 0 before it changes route. */
  switching: Promise<void> | null;
  drained: (() => void) | null;
  /** Settles once the lane's latest message and every one before it are answered. */
  last: Promise<void>;
}

const ignore = () => {};

export type Forwarding = ReturnType<typeof createForwarding>;

export function createForwarding({
  hub,
  agentMessage,
  logger,
  timeoutMs = FORWARD_TIMEOUT_MS,
  onForwarded,
}: {
  hub: Hub;
  /** Writes an agent's message here (the conversation commands). */
  agentMessage: (agent: AgentActor, cmd: AgentMessage) => Promise<AckFrame>;
  logger: Logger;
  timeoutMs?: number;
  /** Told where each forwarded message was written. */
  onForwarded?: ((written: 'there' | 'here') => void) | undefined;
}) {
  // Calls from other instances: the sender checked the frame, the session and the rate limit.
  const offHandler = hub.handle(AGENT_MESSAGE, (args) => {
    const { agent, cmd } = args as { agent: AgentActor; cmd: AgentMessage };
    return agentMessage(agent, cmd);
  });
  /** By socket, while it has messages in flight. */
  const lanes = new Map<string, Lane>();
  const single = hub.health() === 'off';

  /** The other instance's answer, or this instance's own write when it gave none. */
  async function answered(call: Call, instance: string, agent: AgentActor, cmd: AgentMessage, before: Promise<void>): Promise<AckFrame> {
    let reason: string;
    try {
      const answer = await call;
      if ('ok' in answer) {
        onForwarded?.('there');
        return answer.ok as AckFrame;
      }
      if ('error' in answer) {
        onForwarded?.('there');
        const { code, message, path } = answer.error;
        throw new ServusError(code as ErrorCode, message, path ? { path } : {});
      }
      reason = answer.failed;
    } catch (err) {
      if (err instanceof ServusError) throw err;
      reason = (err as Error).message;
    }
    logger.warn({ instance, reason, cid: cmd.cid }, 'forwarded message not written there; writing it here');
    // The socket's earlier messages first, wherever they were written.
    await before;
    onForwarded?.('here');
    return agentMessage(agent, cmd);
  }

  return {
    /** An agent socket's message: written by the instance holding the visitor when that is another. */
    async agentMessage(connId: string, agent: AgentActor, cmd: AgentMessage): Promise<AckFrame> {
      // One instance (no Redis): nowhere else to write, nothing to keep in step.
      if (single) return agentMessage(agent, cmd);
      let lane = lanes.get(connId);
      if (!lane) {
        lane = { route: null, lastCall: undefined, pending: 0, switching: null, drained: null, last: Promise.resolve() };
        lanes.set(connId, lane);
      }
      const l = lane;
      if (l.switching) {
        // Behind a change of route: after the messages before it, the way they go.
        await l.switching;
      } else {
        const home = hub.homeOf(cmd.conversationId);
        if (home !== l.route) {
          if (l.pending > 0) {
            l.switching = new Promise<void>((resolve) => (l.drained = resolve));
            await l.switching;
            l.switching = null;
          }
          l.route = home;
          l.lastCall = undefined;
        }
      }
      l.pending += 1;
      const before = l.last;
      let written: Promise<AckFrame>;
      if (l.route === null) written = agentMessage(agent, cmd);
      else {
        // Only what the other instance needs of the agent and the frame.
        const actor: AgentActor = { kind: 'agent', id: agent.id, name: agent.name, siteKeys: agent.siteKeys };
        const args = { agent: actor, cmd: { conversationId: cmd.conversationId, cid: cmd.cid, text: cmd.text } };
        const call = hub.call(l.route, AGENT_MESSAGE, args, { timeoutMs, after: l.lastCall });
        l.lastCall = call.id;
        written = answered(call, l.route, actor, cmd, before);
      }
      // Answered in the order sent: this one once it is written and every one before it is answered.
      const done = written.then(ignore, ignore).then(() => before);
      l.last = done;
      try {
        await done;
        return await written;
      } finally {
        l.pending -= 1;
        if (l.pending === 0) {
          if (l.drained) {
            const drained = l.drained;
            l.drained = null;
            drained();
          } else if (!l.switching && lanes.get(connId) === l) lanes.delete(connId);
        }
      }
    },
    close: offHandler,
  };
}
