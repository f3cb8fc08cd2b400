// Prometheus metrics at /metrics: what an operator graphs and alerts on. One registry per server
// instance (tests run several in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

export type ServerMetrics = ReturnType<typeof createServerMetrics>;

const SECONDS = [5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export function createServerMetrics({ db, openSockets }: { db: Kysely<Database>; openSockets: () => number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'servus_' });
  new Gauge({
    name: 'servus_open_sockets',
    help: 'Open WebSocket connections (visitors and agents).',
    registers: [registry],
    collect() {
      this.set(openSockets());
    },
  });
  new Gauge({
    name: 'servus_queue_length',
    help: 'Conversations waiting for an agent, per site.',
    labelNames: ['site'],
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('conversations')
        .select((eb) => ['site_key', eb.fn.countAll<number>().as('n')])
        .where('status', '=', 'queued')
        .groupBy('site_key')
        .execute();
      const sites = await db.selectFrom('sites').select('key').execute();
      const counts = new Map(rows.map((r) => [r.site_key, Number(r.n)]));
      this.reset();
      // Every site reports, an empty queue as 0, so a dashboard sees the drop to zero.
      for (const { key } of sites) this.set({ site: key }, counts.get(key) ?? 0);
    },
  });
  return {
    registry,
    messages: new Counter({
      name: 'servus_messages_total',
      help: 'Messages stored, by author.',
      labelNames: ['author'],
      registers: [registry],
    }),
    botOutcomes: new Counter({
      name: 'servus_bot_outcomes_total',
      help: 'Bot turns by outcome (answer, unsure, smalltalk, handoff).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    handoffs: new Counter({
      name: 'servus_handoffs_total',
      help: 'Handoffs to the human queue, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    waitSeconds: new Histogram({
      name: 'servus_queue_wait_seconds',
      help: 'Time from handoff to assignment.',
      buckets: SECONDS,
      registers: [registry],
    }),
    firstResponseSeconds: new Histogram({
      name: 'servus_first_response_seconds',
      help: 'Time from handoff to the first agent reply.',
      buckets: SECONDS,
      registers: [registry],
    }),
    proactiveEvents: new Counter({
      name: 'servus_proactive_events_total',
      help: 'Proactive greetings shown and opened (widget beacons), by site.',
      labelNames: ['site', 'event'],
      registers: [registry],
    }),
    forwardedMessages: new Counter({
      name: 'servus_forwarded_messages_total',
      help: 'Agent messages sent to the instance holding the visitor, by where they were written (there; here: that instance did not answer).',
      labelNames: ['written'],
      registers: [registry],
    }),
    writeBatchSize: new Histogram({
      name: 'servus_write_batch_size',
      help: 'Operations committed per transaction.',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
  };
}
