// Webhooks: a site's subscriptions, and the durable outbox that delivers to them. The outbox rows
// are written in the transaction of the events they describe (subscriptions.ts, conversations/
// commit.ts): none for a write that rolled back, none lost to a crash right after a commit. Any
// instance delivers them. It claims the oldest pending delivery of a (webhook, conversation) with a
// lease, only when no earlier one of that conversation is still pending, so a conversation's next
// delivery starts only after the previous one was delivered or given up, whichever instance sent
// it. The lease is short and renewed while the request is in flight; an instance that dies loses
// it, and another takes the delivery over within `leaseMs`. A failed delivery is retried with
// exponential backoff for a day before it is given up; a webhook failing many times in a row is
// disabled and the site's admins are emailed.
import { sql, type Kysely } from 'kysely';
import { ErrorCode, type WebhookDeliveryView, type WebhookEvent, type WebhookView } from '@servus/shared';
import type { ChangeStream } from '../conversations/index.js';
import type { Logger } from '../core/logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { Dialect } from '../storage/db.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../storage/schema.js';
import { ServusError, notFound } from '../core/errors.js';
import { newToken, randomId } from '../core/ids.js';
import { sendWebhook, type SendResult } from './send.js';
import type { AddressPolicy, Resolver } from './ssrf.js';
import { parseEvents, type WebhookSubscriptions } from './subscriptions.js';

export interface WebhooksOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  subscriptions: WebhookSubscriptions;
  policy: AddressPolicy;
  mailer?: Mailer;
  logger?: Logger;
  now?: () => number;
  /** Time-out of one delivery (ms). */
  timeoutMs?: number;
  /** Bytes of an answer kept for the log. */
  maxResponseBytes?: number;
  /** First retry delay (ms); doubles each time, at most an hour. */
  retryBaseMs?: number;
  /** How long a delivery is retried before it is given up (ms). */
  retryForMs?: number;
  /** Failed attempts in a row after which a webhook is disabled. */
  disableAfterFailures?: number;
  /** Webhooks per site. */
  maxPerSite?: number;
  resolve?: Resolver;
  /** Where the console is, for the link in the disabling email. */
  consoleOrigin?: () => string;
  /**
   * How long a claimed delivery is this instance's (ms). Renewed every third of it while the request
   * is in flight; when the instance dies, another one takes the delivery over after at most this long.
   */
  leaseMs?: number;
  /** How often the outbox is looked at for deliveries that are due (ms); a local commit looks at once. */
  pollMs?: number;
  /** Deliveries in flight at once from this instance. */
  concurrency?: number;
}

export type Webhooks = ReturnType<typeof createWebhooks>;

export const toWebhookView = (row: WebhooksTable): WebhookView => ({
  id: row.id,
  siteKey: row.site_key,
  url: row.url,
  events: parseEvents(row.events),
  enabled: row.enabled === 1,
  disabledReason: row.disabled_reason,
  consecutiveFailures: row.consecutive_failures,
  createdAt: row.created_at,
});

export const toDeliveryView = (row: WebhookDeliveriesTable): WebhookDeliveryView => ({
  id: row.id,
  webhookId: row.webhook_id,
  conversationId: row.conversation_id,
  event: row.event,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
  lastStatus: row.last_status,
  lastResponse: row.last_response,
  lastError: row.last_error,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

export function createWebhooks(options: WebhooksOptions) {
  const { db, dialect, subscriptions, policy, mailer, logger, now = Date.now } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 4096;
  const retryBaseMs = options.retryBaseMs ?? 10_000;
  const retryForMs = options.retryForMs ?? 86_400_000;
  const disableAfter = options.disableAfterFailures ?? 50;
  const maxPerSite = options.maxPerSite ?? 20;
  const leaseMs = options.leaseMs ?? 10_000;
  const pollMs = options.pollMs ?? 1000;
  const concurrency = options.concurrency ?? 8;
  const sendOptions = { policy, timeoutMs, maxResponseBytes, now, ...(options.resolve ? { resolve: options.resolve } : {}) };
  const owner = randomId('i', 9);

  /**
   * Claims up to `limit` deliveries that are due: each the oldest pending one of its (webhook,
   * conversation), of an enabled webhook, not leased by a live instance. One statement: on
   * PostgreSQL the candidates are locked (SKIP LOCKED: two instances claiming at once take
   * different rows), on SQLite the statement runs alone.
   */
  async function claim(limit: number): Promise<WebhookDeliveriesTable[]> {
    const t = now();
    const free = sql`(locked_until IS NULL OR locked_until < ${t})`;
    const { rows } = await sql<WebhookDeliveriesTable>`
      UPDATE webhook_deliveries SET locked_by = ${owner}, locked_until = ${t + leaseMs}
      WHERE ${free} AND id IN (
        SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= ${t} AND w.enabled = 1
          AND (d.locked_until IS NULL OR d.locked_until < ${t})
          AND NOT EXISTS (
            SELECT 1 FROM webhook_deliveries e
            WHERE e.webhook_id = d.webhook_id AND e.conversation_id = d.conversation_id AND e.status = 'pending'
              AND (e.seq < d.seq OR (e.seq = d.seq AND e.id < d.id)))
        ORDER BY d.next_attempt_at LIMIT ${limit}
        ${dialect === 'postgres' ? sql`FOR UPDATE OF d SKIP LOCKED` : sql``})
      RETURNING *`.execute(db);
    return rows;
  }

  /** Records an attempt's outcome and gives up the lease (unless another instance took it over). */
  const record = (row: WebhookDeliveriesTable, set: Partial<WebhookDeliveriesTable>) =>
    db
      .updateTable('webhook_deliveries')
      .set({ ...set, locked_until: null, locked_by: null })
      .where('id', '=', row.id)
      .where('locked_by', '=', owner)
      .executeTakeFirst();

  /** Sends one claimed delivery and records how it went. */
  async function deliver(row: WebhookDeliveriesTable): Promise<void> {
    const hook = await db.selectFrom('webhooks').selectAll().where('id', '=', row.webhook_id).executeTakeFirst();
    // Disabled meanwhile: the delivery waits; enabling the webhook sends it.
    if (!hook || hook.enabled !== 1) {
      await record(row, {});
      return;
    }
    const renew = setInterval(
      () =>
        void db
          .updateTable('webhook_deliveries')
          .set({ locked_until: now() + leaseMs })
          .where('id', '=', row.id)
          .where('locked_by', '=', owner)
          .execute()
          .catch((err: unknown) => logger?.warn({ err, delivery: row.id }, 'webhook lease renewal failed')),
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    let result: SendResult;
    try {
      result = await sendWebhook({ url: hook.url, secret: hook.secret }, { id: row.id, event: row.event, body: row.payload }, sendOptions);
    } finally {
      clearInterval(renew);
    }
    const t = now();
    const attempts = row.attempts + 1;
    const logged = { attempts, last_status: result.status, last_response: result.response, last_error: result.error };
    if (result.ok) {
      const done = await record(row, { ...logged, status: 'delivered', delivered_at: t });
      if (!Number(done.numUpdatedRows)) logger?.warn({ delivery: row.id }, 'webhook delivered after its lease ran out');
      if (hook.consecutive_failures) await db.updateTable('webhooks').set({ consecutive_failures: 0 }).where('id', '=', hook.id).execute();
      return;
    }
    const giveUp = t - row.created_at >= retryForMs;
    const delay = Math.min(3_600_000, retryBaseMs * 2 ** (attempts - 1));
    // Counted atomically: deliveries of other conversations may fail at the same time.
    await db
      .updateTable('webhooks')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
      .where('id', '=', hook.id)
      .execute();
    const failures =
      (await db.selectFrom('webhooks').select('consecutive_failures').where('id', '=', hook.id).executeTakeFirst())?.consecutive_failures ??
      0;
    await record(row, { ...logged, status: giveUp ? 'failed' : 'pending', next_attempt_at: t + delay });
    if (failures >= disableAfter) await disable(hook, `${failures} failed attempts in a row; last: ${result.error ?? 'error'}`);
    else if (!giveUp) wakeIn(delay);
  }

  const inFlight = new Set<Promise<void>>();
  let stopped = true;
  let pumping: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  const wakes = new Set<NodeJS.Timeout>();

  /** Claims and starts what is due while this instance has room. */
  function pump(): void {
    if (stopped) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = (async () => {
      do {
        again = false;
        const room = concurrency - inFlight.size;
        if (room <= 0) return;
        const rows = await claim(room);
        for (const row of rows) {
          const run: Promise<void> = deliver(row)
            .catch((err: unknown) => logger?.error({ err, delivery: row.id }, 'webhook delivery failed'))
            .finally(() => {
              inFlight.delete(run);
              pump();
            });
          inFlight.add(run);
        }
        if (rows.length === room) again = true;
      } while (again && !stopped);
    })()
      .catch((err: unknown) => logger?.error({ err }, 'webhook outbox claim failed'))
      .finally(() => {
        pumping = null;
      });
  }

  /** A retry due sooner than the next poll. */
  function wakeIn(ms: number): void {
    if (stopped || ms >= pollMs) return;
    const wake = setTimeout(() => {
      wakes.delete(wake);
      pump();
    }, ms);
    wake.unref();
    wakes.add(wake);
  }

  async function disable(hook: WebhooksTable, reason: string): Promise<void> {
    await db.updateTable('webhooks').set({ enabled: 0, disabled_reason: reason }).where('id', '=', hook.id).execute();
    await subscriptions.changed();
    logger?.warn({ webhook: hook.id, url: hook.url, reason }, 'webhook disabled');
    if (!mailer?.enabled) return;
    const admins = await db
      .selectFrom('agents')
      .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
      .select('agents.email')
      .where('agent_sites.site_key', '=', hook.site_key)
      .where('agents.role', '=', 'admin')
      .execute();
    if (!admins.length) return;
    const link = options.consoleOrigin ? `\n\n${options.consoleOrigin()}/console/#/integrations` : '';
    await mailer
      .send({
        to: admins.map((a) => a.email),
        subject: `Servus: webhook disabled / Webhook deaktiviert (${hook.site_key})`,
        text:
          `The webhook ${hook.url} of the site ${hook.site_key} failed too often and was disabled: ${reason}\n` +
          `Fix the receiver, then enable it again under Integrations; waiting deliveries are sent then.\n\n` +
          `Der Webhook ${hook.url} der Website ${hook.site_key} ist zu oft fehlgeschlagen und wurde deaktiviert: ${reason}\n` +
          `Beheben Sie den Empfänger und aktivieren Sie ihn unter Integrationen wieder; wartende Zustellungen werden dann gesendet.${link}`,
      })
      .catch((err: unknown) => logger?.error({ err }, 'webhook disabling email failed'));
  }

  async function siteHook(siteKey: string, id: string): Promise<WebhooksTable> {
    const hook = await db.selectFrom('webhooks').selectAll().where('id', '=', id).where('site_key', '=', siteKey).executeTakeFirst();
    if (!hook) throw notFound('webhook');
    return hook;
  }

  return {
    /** Starts delivering: a look at the outbox every `pollMs`, and at once after a local commit for a subscribed site. */
    start(): void {
      if (!stopped) return;
      stopped = false;
      timer = setInterval(pump, pollMs);
      timer.unref();
      pump();
    },
    /** Stops claiming; resolves when the deliveries in flight here are recorded (before the database closes). */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      for (const wake of wakes) clearTimeout(wake);
      wakes.clear();
      await pumping;
      while (inFlight.size) await Promise.all([...inFlight]);
    },
    /** Wakes the delivery loop after each commit that wrote outbox rows (they are in the database already). */
    connect(changes: ChangeStream): () => void {
      return changes.subscribe('webhooks', (change) => {
        if (change.type === 'conversation' && subscriptions.has(change.conversation.site_key)) pump();
      });
    },

    async list(siteKey: string): Promise<WebhookView[]> {
      const rows = await db.selectFrom('webhooks').selectAll().where('site_key', '=', siteKey).orderBy('created_at').execute();
      return rows.map(toWebhookView);
    },

    /** A new webhook; its signing secret is in the answer, and in `secret(...)` for admins later. */
    async create(siteKey: string, input: { url: string; events: WebhookEvent[] }): Promise<{ webhook: WebhookView; secret: string }> {
      const count = await db
        .selectFrom('webhooks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('site_key', '=', siteKey)
        .executeTakeFirst();
      if (Number(count?.n ?? 0) >= maxPerSite) throw new ServusError(ErrorCode.CONFLICT, `At most ${maxPerSite} webhooks per site.`);
      const row: WebhooksTable = {
        id: randomId('wh'),
        site_key: siteKey,
        url: input.url,
        secret: `whsec_${newToken()}`,
        events: JSON.stringify([...new Set(input.events)]),
        enabled: 1,
        disabled_reason: null,
        consecutive_failures: 0,
        created_at: now(),
      };
      await db.insertInto('webhooks').values(row).execute();
      await subscriptions.changed();
      return { webhook: toWebhookView(row), secret: row.secret };
    },

    /** Changes URL, events or enabled; enabling again sends what waited. */
    async update(
      siteKey: string,
      id: string,
      input: { url?: string | undefined; events?: WebhookEvent[] | undefined; enabled?: boolean | undefined },
    ) {
      const hook = await siteHook(siteKey, id);
      const set: Partial<WebhooksTable> = {};
      if (input.url !== undefined) set.url = input.url;
      if (input.events !== undefined) set.events = JSON.stringify([...new Set(input.events)]);
      if (input.enabled === true) Object.assign(set, { enabled: 1, disabled_reason: null, consecutive_failures: 0 });
      if (input.enabled === false) Object.assign(set, { enabled: 0, disabled_reason: 'Disabled by an admin.' });
      if (Object.keys(set).length) await db.updateTable('webhooks').set(set).where('id', '=', id).execute();
      await subscriptions.changed();
      // Enabled again: what waited is due (the next look at the outbox, on any instance, sends it).
      if (input.enabled === true && hook.enabled !== 1) pump();
      return toWebhookView(await siteHook(siteKey, id));
    },

    async remove(siteKey: string, id: string): Promise<void> {
      await siteHook(siteKey, id);
      // Disabled first, so that this instance writes no more rows for it (SQLite: no row is ever
      // written for a deleted webhook; PostgreSQL: pg-batch.ts drops another instance's late ones).
      await db.updateTable('webhooks').set({ enabled: 0 }).where('id', '=', id).execute();
      await subscriptions.changed();
      await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      await db.deleteFrom('webhooks').where('id', '=', id).execute();
      await subscriptions.changed();
    },

    async secret(siteKey: string, id: string): Promise<string> {
      return (await siteHook(siteKey, id)).secret;
    },

    /** The delivery log, newest first. */
    async deliveries(siteKey: string, id: string, limit = 50, before?: number): Promise<WebhookDeliveryView[]> {
      await siteHook(siteKey, id);
      let q = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id);
      if (before !== undefined) q = q.where('created_at', '<', before);
      const rows = await q.orderBy('created_at', 'desc').orderBy('seq', 'desc').limit(limit).execute();
      return rows.map(toDeliveryView);
    },

    /** The test button: one signed `webhook.test` POST now, its outcome answered (not retried, not logged). */
    async test(siteKey: string, id: string): Promise<SendResult> {
      const hook = await siteHook(siteKey, id);
      const deliveryId = randomId('whd');
      const body = JSON.stringify({ id: deliveryId, event: 'webhook.test', createdAt: now(), siteKey });
      return sendWebhook({ url: hook.url, secret: hook.secret }, { id: deliveryId, event: 'webhook.test', body }, sendOptions);
    },
  };
}
