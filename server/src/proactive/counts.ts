// How often each rule's greeting was shown and opened: one counter row per site, rule and UTC hour
// (hours, not days, so any period and any whole-hour time zone adds up exactly).
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export type ProactiveEvent = 'shown' | 'opened';

const HOUR = 3_600_000;

export interface ProactiveCount {
  siteKey: string;
  ruleId: string;
  /** Start of the UTC hour (epoch ms). */
  hour: number;
  shown: number;
  opened: number;
}

/** Adds one event to its hour's counter: an upsert, so concurrent beacons and several instances add up. */
export async function countProactiveEvent(
  db: Kysely<Database>,
  e: { siteKey: string; ruleId: string; event: ProactiveEvent; at: number },
): Promise<void> {
  const shown = e.event === 'shown' ? 1 : 0;
  await db
    .insertInto('proactive_counts')
    .values({ site_key: e.siteKey, rule_id: e.ruleId, hour: Math.floor(e.at / HOUR) * HOUR, shown, opened: 1 - shown })
    .onConflict((oc) =>
      oc.columns(['site_key', 'rule_id', 'hour']).doUpdateSet((eb) => ({
        shown: eb('proactive_counts.shown', '+', eb.ref('excluded.shown')),
        opened: eb('proactive_counts.opened', '+', eb.ref('excluded.opened')),
      })),
    )
    .execute();
}

/** The counters of the hours that start within [from, to). */
export async function loadProactiveCounts(db: Kysely<Database>, siteKeys: string[], from: number, to: number): Promise<ProactiveCount[]> {
  if (!siteKeys.length) return [];
  const rows = await db
    .selectFrom('proactive_counts')
    .select(['site_key', 'rule_id', 'hour', 'shown', 'opened'])
    .where('site_key', 'in', siteKeys)
    .where('hour', '>=', from)
    .where('hour', '<', to)
    .execute();
  // PostgreSQL's bigint arrives as a string through pg.
  return rows.map((r) => ({
    siteKey: r.site_key,
    ruleId: r.rule_id,
    hour: Number(r.hour),
    shown: Number(r.shown),
    opened: Number(r.opened),
  }));
}

/** How many conversations each rule started in [from, to): the attribution `conversations.proactive_rule_id`. */
export async function loadProactiveConversations(
  db: Kysely<Database>,
  siteKey: string,
  from: number,
  to: number,
): Promise<{ siteKey: string; proactiveRuleId: string; count: number }[]> {
  const rows = await db
    .selectFrom('conversations')
    .select((eb) => ['proactive_rule_id', eb.fn.countAll().as('n')])
    .where('site_key', '=', siteKey)
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .where('proactive_rule_id', 'is not', null)
    .groupBy('proactive_rule_id')
    .execute();
  return rows.map((r) => ({ siteKey, proactiveRuleId: r.proactive_rule_id!, count: Number(r.n) }));
}
