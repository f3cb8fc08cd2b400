// Which webhooks want which events, kept in memory on every instance, and the outbox rows a
// committed change makes from them. The rows are computed inside the change's own transaction
// (conversations/commit.ts), once per operation of a write batch, so the look-up is synchronous
// and queries nothing.
//
// Every instance holds the enabled subscriptions of all sites (a few per site). A change of a
// subscription (created, edited, enabled, disabled, deleted) raises the one-row revision in the
// database and is announced on the hub; an instance reloads at once on the news and, in case the
// news was lost (no Redis, Redis down), when its poll (every `pollMs`, one primary-key read) finds
// a new revision. So a subscription made on one instance is honoured by every other one within
// about `pollMs` at worst, and at once on the instance that made it.
import type { Kysely } from 'kysely';
import type { WebhookEvent } from '@servus/shared';
import type { ConversationCommitted } from '../conversations/index.js';
import type { Logger } from '../core/logger.js';
import type { Hub } from '../pubsub/hub.js';
import type { Database, NewWebhookDelivery } from '../storage/schema.js';
import { randomId } from '../core/ids.js';
import { webhookEventsOf } from './events.js';

const NEWS = 'webhooks';

export interface WebhookSubscriptionsOptions {
  db: Kysely<Database>;
  hub?: Hub | undefined;
  logger?: Logger | undefined;
  now?: () => number;
  /** How often the revision is read, in case the hub's news was lost (ms). */
  pollMs?: number;
}

export type WebhookSubscriptions = ReturnType<typeof createWebhookSubscriptions>;

interface Subscription {
  id: string;
  events: ReadonlySet<string>;
}

/** A webhook's event list as stored (a JSON array); anything else subscribes to nothing. */
export const parseEvents = (text: string): WebhookEvent[] => {
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? (list as WebhookEvent[]) : [];
  } catch {
    return [];
  }
};

export function createWebhookSubscriptions({ db, hub, logger, now = Date.now, pollMs = 1000 }: WebhookSubscriptionsOptions) {
  let bySite = new Map<string, Subscription[]>();
  let revision = -1;
  /** Loads are numbered: one that started earlier never replaces what a later one read. */
  let started = 0;
  let applied = 0;
  let timer: NodeJS.Timeout | null = null;

  const readRevision = async () =>
    Number((await db.selectFrom('webhook_revision').select('revision').where('id', '=', 1).executeTakeFirst())?.revision ?? 0);

  async function load(): Promise<void> {
    const n = ++started;
    // The revision first: a change after it is read raises it again, and the next poll reloads.
    const rev = await readRevision();
    const rows = await db.selectFrom('webhooks').select(['id', 'site_key', 'events']).where('enabled', '=', 1).execute();
    if (n < applied) return;
    applied = n;
    revision = rev;
    const next = new Map<string, Subscription[]>();
    for (const row of rows) {
      const list = next.get(row.site_key) ?? [];
      list.push({ id: row.id, events: new Set(parseEvents(row.events)) });
      next.set(row.site_key, list);
    }
    bySite = next;
  }

  async function poll(): Promise<void> {
    if ((await readRevision()) !== revision) await load();
  }

  const reload = () => void load().catch((err: unknown) => logger?.warn({ err }, 'webhook subscriptions reload failed'));
  hub?.onBroadcast(NEWS, reload);
  hub?.onResync(reload);

  return {
    /** Loads the subscriptions (before the first write) and starts watching the revision. */
    async start(): Promise<void> {
      await load();
      timer ??= setInterval(() => void poll().catch((err: unknown) => logger?.warn({ err }, 'webhook revision poll failed')), pollMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
    /**
     * After a subscription was written: raises the revision, tells the other instances, and
     * resolves once this instance's copy has the change.
     */
    async changed(): Promise<void> {
      await db
        .updateTable('webhook_revision')
        .set((eb) => ({ revision: eb('revision', '+', 1) }))
        .where('id', '=', 1)
        .execute();
      hub?.broadcast(NEWS, {});
      await load();
    },
    /** Whether a site has an enabled webhook. */
    has: (siteKey: string) => bySite.has(siteKey),
    /** The outbox rows of a change: one per enabled webhook of its site and event it subscribed to. */
    outboxRows(change: ConversationCommitted): NewWebhookDelivery[] {
      const hooks = bySite.get(change.conversation.site_key);
      if (!hooks) return [];
      const events = webhookEventsOf(change);
      if (!events.length) return [];
      const conv = change.conversation;
      const at = now();
      const conversation = {
        id: conv.id,
        siteKey: conv.site_key,
        status: conv.status,
        visitorId: conv.visitor_id,
        assignee: conv.assignee_id ? { id: conv.assignee_id, name: change.assigneeName ?? 'Agent' } : null,
        handoffReason: conv.handoff_reason,
        lastSeq: conv.last_seq,
      };
      const rows: NewWebhookDelivery[] = [];
      for (const hook of hooks) {
        for (const e of events) {
          if (!hook.events.has(e.event)) continue;
          const id = randomId('whd');
          rows.push({
            id,
            webhook_id: hook.id,
            conversation_id: conv.id,
            seq: e.order,
            event: e.event,
            payload: JSON.stringify({ id, event: e.event, createdAt: at, siteKey: conv.site_key, conversation, ...e.data }),
            status: 'pending',
            attempts: 0,
            next_attempt_at: at,
            created_at: at,
          });
        }
      }
      return rows;
    },
  };
}
