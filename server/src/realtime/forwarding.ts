// Write affinity between instances. A conversation whose visitor is on instance A and whose agent
// is on instance B would otherwise be written by both: their batches would lock the same rows and
// wait for each other, and each socket would get its frames in two parts (its own instance's
// commit, then the other's through Redis), out of seq order more often than not. So B sends its
// agent's message to A (a call through the hub, hub.ts), A writes it in its own batch with the
// visitor's, and B answers the agent with A's ack. A conversation then has one writer while its
// visitor stays, and both sockets get each batch's frames at once, in order.
//
// An optimisation, never a condition: any instance may write any conversation (its rows are
// locked, its cids exactly-once). A call that goes unanswered (the other instance died, Redis went
// away) or that could not run there is written here instead, after the socket's earlier messages
// to the conversation; one the other instance did write meanwhile is then found by its cid and
// answered with the stored ack. A socket's messages to a conversation keep their order: a new
// message switches between here and there only once the ones before it are answered.
import type { AckFrame, ErrorCode } from '@servus/shared';
import type { AgentActor } from '../core/actors.js';
import { ServusError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Hub } from '../pubsub/hub.js';

/** How long a forwarded message waits for the other instance's answer before it is written here (ms). */
export const FORWARD_TIMEOUT_MS = 2000;

const AGENT_MESSAGE = 'agent.message';

type AgentMessage = { conversationId: string; cid: string; text: string };

interface Lane {
  /** Where this socket's messages to the conversation go: null here, else an instance. */
  route: string | null;
  /** Messages sent that way and not answered yet. */
  pending: number;
  /** Set while the lane waits for `pending` to reach 0 before it changes route. */
  switching: Promise<void> | null;
  drained: (() => void) | null;
  /** Settles when the lane's latest message has been answered (a fallback waits for it). */
  last: Promise<unknown>;
}

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
  /** By socket and conversation, while messages are in flight. */
  const lanes = new Map<string, Lane>();

  async function remote(instance: string, agent: AgentActor, cmd: AgentMessage, before: Promise<unknown>): Promise<AckFrame> {
    let answer;
    try {
      answer = await hub.call(
        instance,
        AGENT_MESSAGE,
        { agent, cmd: { conversationId: cmd.conversationId, cid: cmd.cid, text: cmd.text } },
        timeoutMs,
      );
      if ('ok' in answer) {
        onForwarded?.('there');
        return answer.ok as AckFrame;
      }
      if ('error' in answer) {
        onForwarded?.('there');
        const { code, message, path } = answer.error;
        throw new ServusError(code as ErrorCode, message, path ? { path } : {});
      }
      logger.warn({ instance, reason: answer.failed }, 'forwarded message not written there; writing it here');
    } catch (err) {
      if (err instanceof ServusError) throw err;
      logger.warn({ instance, err: (err as Error).message }, 'forwarded message not answered; writing it here');
    }
    // The socket's earlier messages to the conversation first, wherever they were written.
    await before;
    onForwarded?.('here');
    return agentMessage(agent, cmd);
  }

  return {
    /** An agent socket's message: written by the instance holding the visitor when that is another. */
    async agentMessage(connId: string, agent: AgentActor, cmd: AgentMessage): Promise<AckFrame> {
      const key = `${connId}\u0000${cmd.conversationId}`;
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { route: null, pending: 0, switching: null, drained: null, last: Promise.resolve() }));
      if (lane.switching) {
        // Behind a change of route: after the messages before it, the way they go.
        await lane.switching;
      } else {
        const home = hub.homeOf(cmd.conversationId);
        if (home !== lane.route) {
          if (lane.pending > 0) {
            const l = lane;
            l.switching = new Promise<void>((resolve) => (l.drained = resolve));
            await l.switching;
            l.switching = null;
          }
          lane.route = home;
        }
      }
      const l = lane;
      l.pending += 1;
      const before = l.last;
      const written = l.route === null ? agentMessage(agent, cmd) : remote(l.route, agent, cmd, before);
      l.last = written.catch(() => {});
      try {
        return await written;
      } finally {
        l.pending -= 1;
        if (l.pending === 0) {
          if (l.drained) {
            const drained = l.drained;
            l.drained = null;
            drained();
          } else if (!l.switching && lanes.get(key) === l) lanes.delete(key);
        }
      }
    },
    close: offHandler,
  };
}
