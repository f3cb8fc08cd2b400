// The queue: a waiting visitor's place and expected wait, computed one way for one conversation (in
// the transaction that queues it) and for a whole site (after a change moved everybody).
//
// Expected wait = place × average handling time of the site's last 50 resolved conversations ÷
// (agents online × 3 chats each), at least 15 s; null when nobody is online; none at all outside
// business hours (the visitor is told when the team opens instead).
import type { QueueInfo } from '@servus/shared';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { ConversationRow } from './views.js';
import type { Executor } from './repository.js';

export interface QueueOptions {
  db: Kysely<Database>;
  /** How many agents are online for a site (presence). */
  agentsOnline: (siteKey: string) => number;
  /**
   * Whether a site's team is open now (business hours). Inside a write transaction `executor` is
   * that transaction: a read must go through it (on SQLite the outer connection waits for it).
   */
  hoursNow?: ((siteKey: string, executor?: Executor) => Promise<{ open: boolean; opensAt: number | null }>) | undefined;
  /** Assumed until real handling times exist. */
  defaultHandlingSeconds: number;
  now?: () => number;
}

/** What the wait of every place in a site's queue depends on. */
interface SiteQueueState {
  online: number;
  hours: { open: boolean; opensAt: number | null };
  handlingSeconds: number;
}

export type QueuePositionListener = (conversation: ConversationRow, queue: QueueInfo, at: number) => void;

export type Queue = ReturnType<typeof createQueue>;

export function createQueue({ db, agentsOnline, hoursNow, defaultHandlingSeconds, now = Date.now }: QueueOptions) {
  const listeners = new Set<QueuePositionListener>();

  async function handlingSeconds(siteKey: string, executor: Executor): Promise<number> {
    const recent = await executor
      .selectFrom('conversations')
      .select(['assigned_at', 'resolved_at'])
      .where('site_key', '=', siteKey)
      .where('status', '=', 'resolved')
      .where('assigned_at', 'is not', null)
      .orderBy('resolved_at', 'desc')
      .limit(50)
      .execute();
    const durations = recent.map((r) => ((r.resolved_at ?? 0) - (r.assigned_at ?? 0)) / 1000).filter((d) => d > 0);
    return durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : defaultHandlingSeconds;
  }

  async function siteState(siteKey: string, executor: Executor): Promise<SiteQueueState> {
    const online = agentsOnline(siteKey);
    const hours = hoursNow ? await hoursNow(siteKey, executor) : { open: true, opensAt: null };
    // Only an open team with someone online has a wait to estimate.
    return { online, hours, handlingSeconds: hours.open && online > 0 ? await handlingSeconds(siteKey, executor) : 0 };
  }

  /** Each online agent takes about three chats at once; the wait scales with the line ahead. */
  function infoAt(position: number, state: SiteQueueState): QueueInfo {
    if (!state.hours.open)
      return { position, expectedWaitSeconds: null, agentsOnline: state.online, closed: { opensAt: state.hours.opensAt } };
    const expectedWaitSeconds = state.online > 0 ? Math.max(15, Math.round((position * state.handlingSeconds) / (state.online * 3))) : null;
    return { position, expectedWaitSeconds, agentsOnline: state.online };
  }

  /** A queued conversation's place and wait (null when it is not queued). */
  async function infoFor(conv: ConversationRow, executor: Executor = db): Promise<QueueInfo | null> {
    if (conv.status !== 'queued' || conv.queued_at === null) return null;
    const ahead = await executor
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('site_key', '=', conv.site_key)
      .where('status', '=', 'queued')
      .where((eb) => eb.or([eb('queued_at', '<', conv.queued_at), eb.and([eb('queued_at', '=', conv.queued_at), eb('id', '<', conv.id)])]))
      .executeTakeFirstOrThrow();
    return infoAt(Number(ahead.n) + 1, await siteState(conv.site_key, executor));
  }

  // Positions of a whole site are coalesced: while one pass runs, further changes only mark the
  // site dirty and cause one more pass. A visitor hears only when their place or wait changed.
  const passes = new Map<string, { dirty: boolean; done: Promise<void> }>();
  const lastTold = new Map<string, string>();

  async function pass(siteKey: string): Promise<void> {
    const queued = await db
      .selectFrom('conversations')
      .selectAll()
      .where('site_key', '=', siteKey)
      .where('status', '=', 'queued')
      .orderBy('queued_at')
      .orderBy('id')
      .limit(1000)
      .execute();
    const state = await siteState(siteKey, db);
    const at = now();
    for (const [i, conv] of queued.entries()) {
      const queue = infoAt(i + 1, state);
      const key = JSON.stringify(queue);
      if (lastTold.get(conv.id) === key) continue;
      if (lastTold.size > 50_000) lastTold.clear();
      lastTold.set(conv.id, key);
      for (const listener of listeners) listener(conv, queue, at);
    }
  }

  return {
    infoFor,
    /** Tells every visitor still waiting in a site's queue their new place and wait. */
    publishPositions(siteKey: string): Promise<void> {
      const running = passes.get(siteKey);
      if (running) {
        running.dirty = true;
        return running.done;
      }
      const entry = { dirty: false, done: Promise.resolve() };
      entry.done = (async () => {
        try {
          do {
            entry.dirty = false;
            await pass(siteKey);
          } while (entry.dirty);
        } finally {
          passes.delete(siteKey);
        }
      })();
      passes.set(siteKey, entry);
      return entry.done;
    },
    /** Forgets what each visitor was told (after a Redis outage they may have missed it): the next pass tells everyone. */
    forgetTold(): void {
      lastTold.clear();
    },
    /** Listens to the positions told (realtime sends them to the visitors). */
    onPosition(listener: QueuePositionListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
