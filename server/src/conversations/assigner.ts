// Auto-assignment: the oldest queued conversation goes to the online agent with the fewest open
// chats who is below their capacity. Runs whenever a site's queue or an agent's load changes;
// every assignment is the same atomic conditional update as a manual claim.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Logger } from '../core/logger.js';
import type { Presence } from '../presence/presence.js';
import type { AgentActor } from '../core/actors.js';
import type { ChangeStream } from './changes.js';
import type { Commands } from './commands.js';

export interface AssignerOptions {
  db: Kysely<Database>;
  commands: Pick<Commands, 'assignQueued'>;
  /** A pass runs whenever a committed change moves a site's queue or a conversation's status. */
  changes: ChangeStream;
  presence: Presence;
  logger: Logger;
  /** Turned off with AUTO_ASSIGN=false: agents then only claim from the queue. */
  enabled: boolean;
}

export function createAssigner({ db, commands, changes, presence, logger, enabled }: AssignerOptions) {
  const pending = new Set<string>();
  let running: Promise<void> = Promise.resolve();

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

  /** Schedules a pass over a site; passes run one at a time. */
  function schedule(siteKey: string): void {
    if (!enabled || pending.has(siteKey)) return;
    pending.add(siteKey);
    running = running
      .then(() => {
        pending.delete(siteKey);
        return assignSite(siteKey);
      })
      .catch((err: unknown) => logger.error({ err, siteKey }, 'auto-assignment failed'));
  }
  const off = changes.subscribe('auto-assignment', (change) => {
    if (change.type === 'conversation' && (change.queueChanged || change.change)) schedule(change.conversation.site_key);
  });

  return { schedule, idle: () => running, stop: off };
}
