// Agents who come and go, on any instance: their sites' queues are looked at again (waiting
// visitors learn at once when the first agent comes online or the last one leaves, and queued chats
// are assigned), and after a grace period (a reload, a flaky network, an instance that died) an
// absent agent's open chats go back to the front of the queue. The grace period is a durable job
// (jobs/jobs.ts), cancelled when the agent is back anywhere; when it runs, the shared presence
// decides whether the agent is still gone.
import type { Logger } from '../core/logger.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Presence } from '../presence/presence.js';
import type { Commands } from './commands.js';

export interface AbsenceOptions {
  presence: Pick<Presence, 'onChange' | 'status'>;
  commands: Pick<Commands, 'returnToQueue'>;
  jobs: Jobs;
  /** A queue pass for a site (positions and auto-assignment). */
  queuePass: (siteKey: string) => void;
  graceMs: number;
  logger: Logger;
  now?: () => number;
}

const GRACE_JOB = 'agent-offline';

export function watchAgentAbsence({ presence, commands, jobs, queuePass, graceMs, logger, now = Date.now }: AbsenceOptions) {
  jobs.handle<null>(GRACE_JOB, async (job) => {
    if (presence.status(job.key) !== 'offline') return;
    const returned = await commands.returnToQueue(job.key);
    if (returned) logger.info({ agentId: job.key, conversations: returned }, 'an absent agent’s chats went back to the queue');
  });
  const off = presence.onChange((siteKeys, agentId, online) => {
    for (const key of siteKeys) queuePass(key);
    const planned = online ? jobs.cancel(GRACE_JOB, agentId) : jobs.schedule(GRACE_JOB, agentId, now() + graceMs);
    void planned.catch((err: unknown) => logger.error({ err, agentId }, 'planning the grace period failed'));
  });
  return { stop: off };
}
