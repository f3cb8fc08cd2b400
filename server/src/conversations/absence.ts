// Agents who go offline: waiting visitors learn at once when the first agent of their site comes
// online or the last one leaves, queued chats are assigned as agents arrive, and after a grace
// period (a reload, a flaky network) an absent agent's chats go back to the front of the queue.
import type { Logger } from '../core/logger.js';
import type { Presence } from '../presence/presence.js';
import type { Commands } from './commands.js';
import type { Queue } from './queue.js';

export interface AbsenceOptions {
  presence: Presence;
  commands: Pick<Commands, 'returnToQueue'>;
  queue: Pick<Queue, 'publishPositions'>;
  /** Assigns a site's queued chats (auto-assignment). */
  assign: (siteKey: string) => void;
  graceMs: number;
  logger: Logger;
}

export function watchAgentAbsence({ presence, commands, queue, assign, graceMs, logger }: AbsenceOptions) {
  const timers = new Map<string, NodeJS.Timeout>();
  const off = presence.onChange((keys, agentId, online) => {
    for (const key of keys) {
      void queue.publishPositions(key).catch((err: unknown) => logger.error({ err }, 'queue update failed'));
      if (online) assign(key);
    }
    clearTimeout(timers.get(agentId));
    timers.delete(agentId);
    if (online) return;
    const timer = setTimeout(() => {
      timers.delete(agentId);
      if (presence.status(agentId) !== 'offline') return;
      void commands.returnToQueue(agentId).catch((err: unknown) => logger.error({ err, agentId }, 'return to queue failed'));
    }, graceMs);
    timer.unref();
    timers.set(agentId, timer);
  });
  return {
    stop() {
      off();
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
