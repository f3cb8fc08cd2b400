// The queue keeper: whenever a site's queue or its team changes, waiting visitors hear their new
// place and wait, and auto-assignment gives the oldest queued conversation to the online agent with
// the fewest open chats below their capacity (every assignment the same atomic conditional update
// as a manual claim). It is a durable job per site (jobs/jobs.ts), so with several instances the
// pass for a site runs on one of them at a time, wherever the change happened, and a pass due when
// an instance dies is taken over by another. The site's business hours schedule a pass for the
// moment the team opens or closes.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Logger } from '../core/logger.js';
import type { AgentActor } from '../core/actors.js';
import type { Presence } from '../presence/presence.js';
import type { Jobs } from '../jobs/jobs.js';
import type { ChangeStream } from './changes.js';
import type { Commands } from './commands.js';
import type { Queue } from './queue.js';

export interface AssignerOptions {
  db: Kysely<Database>;
  commands: Pick<Commands, 'assignQueued'>;
  /** A pass is scheduled whenever a committed change moves a site's queue or a conversation's status. */
  changes: ChangeStream;
  queue: Pick<Queue, 'publishPositions'>;
  presence: Pick<Presence, 'onlineAgents'>;
  jobs: Jobs;
  logger: Logger;
  /** Turned off with AUTO_ASSIGN=false: agents then only claim from the queue (positions are still told). */
  enabled: boolean;
  now?: () => number;
  /** The sites and when each one's team next opens or closes (business hours). */
  hours?: {
    siteKeys(): Promise<string[]>;
    nextChange(siteKey: string): Promise<number | null>;
    onChange(listener: (siteKey: string) => void): () => void;
  };
}

const QUEUE_JOB = 'queue';
const HOURS_JOB = 'hours';

export function createAssigner({ db, commands, changes, queue, presence, jobs, logger, enabled, now = Date.now, hours }: AssignerOptions) {
  async function assignSite(siteKey: string): Promise<void> {
    const online = presence.onlineAgents(siteKey);
    if (!online.length) return;
    for (let guard = 0; guard < 1000; guard++) {
      const next = await db
        .selectFrom('conversations')
        .select('id')
        .where('site_key', '=', siteKey)
        .where('status', '=', 'queued')
        .orderBy('queued_at')
        .orderBy('id')
        .executeTakeFirst();
      if (!next) return;
      const agents = await db
        .selectFrom('agents')
        .leftJoin('conversations', (j) =>
          j.onRef('conversations.assignee_id', '=', 'agents.id').on('conversations.status', '=', 'assigned'),
        )
        .select((eb) => ['agents.id', 'agents.name', 'agents.capacity', eb.fn.count<number>('conversations.id').as('open')])
        .where('agents.id', 'in', online)
        .groupBy(['agents.id', 'agents.name', 'agents.capacity'])
        .execute();
      const candidates = agents
        .filter((a) => Number(a.open) < a.capacity)
        .sort((a, b) => Number(a.open) - Number(b.open) || a.id.localeCompare(b.id));
      const pick = candidates[0];
      if (!pick) return;
      const sites = await db.selectFrom('agent_sites').select('site_key').where('agent_id', '=', pick.id).execute();
      const agent: AgentActor = { kind: 'agent', id: pick.id, name: pick.name, siteKeys: sites.map((s) => s.site_key) };
      await commands.assignQueued(agent, next.id);
    }
  }

  jobs.handle<null>(
    QUEUE_JOB,
    async (job) => {
      await queue.publishPositions(job.key);
      if (enabled) await assignSite(job.key);
    },
    { maxAttempts: 10, retryDelayMs: (n) => Math.min(60_000, 500 * 2 ** n) },
  );

  /** Schedules a pass over a site (one pending pass per site; a pass running now runs again). */
  function schedule(siteKey: string): void {
    void jobs.schedule(QUEUE_JOB, siteKey, now()).catch((err: unknown) => logger.error({ err, siteKey }, 'scheduling a queue pass failed'));
  }

  const offChanges = changes.subscribe('queue keeper', (change) => {
    if (change.type === 'conversation' && (change.queueChanged || change.change)) schedule(change.conversation.site_key);
  });

  // Business hours: a pass when the team opens or closes, then the next one planned.
  async function planHours(siteKey: string): Promise<void> {
    const at = await hours!.nextChange(siteKey);
    if (at === null) await jobs.cancel(HOURS_JOB, siteKey);
    else await jobs.schedule(HOURS_JOB, siteKey, at);
  }
  let offHours = () => {};
  if (hours) {
    jobs.handle<null>(HOURS_JOB, async (job) => {
      schedule(job.key);
      await planHours(job.key);
    });
    offHours = hours.onChange(
      (siteKey) => void planHours(siteKey).catch((err: unknown) => logger.error({ err, siteKey }, 'planning business hours failed')),
    );
  }

  return {
    schedule,
    /** Plans every site's next business-hours change (at start; idempotent across instances). */
    async planAllHours(): Promise<void> {
      if (!hours) return;
      for (const key of await hours.siteKeys()) await planHours(key);
    },
    stop(): void {
      offChanges();
      offHours();
    },
  };
}
