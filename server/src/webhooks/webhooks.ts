// Webhooks: a site's subscriptions, and the durable outbox that delivers to them. A subscriber of the
// committed-change stream writes one delivery row per (webhook, event) after the commit (never for a
// write that rolled back) and schedules one durable job per webhook and conversation; the job sends
// that conversation's deliveries one after another in order, retrying the first with exponential
// backoff for a day before giving it up, so rows and jobs survive restarts and run on one instance
// at a time. A webhook failing many times in a row is disabled and the site's admins are emailed.
import type { Kysely } from 'kysely';
import { ErrorCode, type WebhookDeliveryView, type WebhookEvent, type WebhookView } from '@servus/shared';
import type { ChangeStream, ConversationCommitted } from '../conversations/index.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Logger } from '../core/logger.js';
import type { Mailer } from '../mail/mailer.js';
import type { Hub } from '../pubsub/hub.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../storage/schema.js';
import { ServusError, notFound } from '../core/errors.js';
import { newToken, randomId } from '../core/ids.js';
import { webhookEventsOf } from './events.js';
import { sendWebhook, type SendResult } from './send.js';
import type { AddressPolicy, Resolver } from './ssrf.js';

export const DELIVER_JOB = 'webhook.deliver';
const NEWS = 'webhooks';

export interface WebhooksOptions {
  db: Kysely<Database>;
  jobs: Jobs;
  policy: AddressPolicy;
  hub?: Hub;
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
}

export type Webhooks = ReturnType<typeof createWebhooks>;

const parseEvents = (text: string): WebhookEvent[] => {
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? (list as WebhookEvent[]) : [];
  } catch {
    return [];
  }
};

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
  const { db, jobs, policy, hub, mailer, logger, now = Date.now } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 4096;
  const retryBaseMs = options.retryBaseMs ?? 10_000;
  const retryForMs = options.retryForMs ?? 86_400_000;
  const disableAfter = options.disableAfterFailures ?? 50;
  const maxPerSite = options.maxPerSite ?? 20;
  const sendOptions = { policy, timeoutMs, maxResponseBytes, now, ...(options.resolve ? { resolve: options.resolve } : {}) };

  // The enabled webhooks of each site, cached; any instance's change drops every copy (hub news).
  const cache = new Map<string, { at: number; rows: Promise<WebhooksTable[]> }>();
  const forget = (siteKey: string) => cache.delete(siteKey);
  hub?.onBroadcast(NEWS, (data) => {
    const key = (data as { siteKey?: unknown } | null)?.siteKey;
    if (typeof key === 'string') forget(key);
  });
  const announce = (siteKey: string) => {
    forget(siteKey);
    hub?.broadcast(NEWS, { siteKey });
  };
  function enabledFor(siteKey: string): Promise<WebhooksTable[]> {
    const hit = cache.get(siteKey);
    if (hit && now() - hit.at < 5000) return hit.rows;
    const rows = db.selectFrom('webhooks').selectAll().where('site_key', '=', siteKey).where('enabled', '=', 1).execute();
    cache.set(siteKey, { at: now(), rows });
    rows.catch(() => forget(siteKey));
    return rows;
  }

  const jobKey = (webhookId: string, conversationId: string) => `${webhookId}:${conversationId}`;

  /** Writes the outbox rows of one committed change and wakes their jobs. */
  async function enqueue(change: ConversationCommitted): Promise<void> {
    const events = webhookEventsOf(change);
    if (!events.length) return;
    const hooks = await enabledFor(change.conversation.site_key);
    if (!hooks.length) return;
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
    const rows: WebhookDeliveriesTable[] = [];
    for (const hook of hooks) {
      const wanted = new Set(parseEvents(hook.events));
      for (const e of events) {
        if (!wanted.has(e.event)) continue;
        const id = randomId('whd');
        const payload = JSON.stringify({ id, event: e.event, createdAt: at, siteKey: conv.site_key, conversation, ...e.data });
        rows.push({
          id,
          webhook_id: hook.id,
          conversation_id: conv.id,
          seq: e.order,
          event: e.event,
          payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: at,
          last_status: null,
          last_response: null,
          last_error: null,
          created_at: at,
          delivered_at: null,
        });
      }
    }
    if (!rows.length) return;
    await db.insertInto('webhook_deliveries').values(rows).execute();
    for (const webhookId of new Set(rows.map((r) => r.webhook_id))) await jobs.schedule(DELIVER_JOB, jobKey(webhookId, conv.id), at);
  }

  async function disable(hook: WebhooksTable, reason: string): Promise<void> {
    await db.updateTable('webhooks').set({ enabled: 0, disabled_reason: reason }).where('id', '=', hook.id).execute();
    announce(hook.site_key);
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

  /** The job: this conversation's deliveries to this webhook, in order, until one has to wait. */
  async function deliverConversation(webhookId: string, conversationId: string): Promise<void> {
    for (;;) {
      const hook = await db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
      // Disabled: the deliveries wait; enabling the webhook schedules them again.
      if (!hook || hook.enabled !== 1) return;
      const head = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .where('conversation_id', '=', conversationId)
        .where('status', '=', 'pending')
        .orderBy('seq')
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      if (!head) return;
      if (head.next_attempt_at > now()) {
        await jobs.schedule(DELIVER_JOB, jobKey(webhookId, conversationId), head.next_attempt_at);
        return;
      }
      const result = await sendWebhook(
        { url: hook.url, secret: hook.secret },
        { id: head.id, event: head.event, body: head.payload },
        sendOptions,
      );
      const t = now();
      const attempts = head.attempts + 1;
      const logged = { attempts, last_status: result.status, last_response: result.response, last_error: result.error };
      if (result.ok) {
        await db
          .updateTable('webhook_deliveries')
          .set({ ...logged, status: 'delivered', delivered_at: t })
          .where('id', '=', head.id)
          .execute();
        if (hook.consecutive_failures)
          await db.updateTable('webhooks').set({ consecutive_failures: 0 }).where('id', '=', hook.id).execute();
        continue;
      }
      const giveUp = t - head.created_at >= retryForMs;
      const delay = Math.min(3_600_000, retryBaseMs * 2 ** (attempts - 1));
      await db
        .updateTable('webhook_deliveries')
        .set({ ...logged, status: giveUp ? 'failed' : 'pending', next_attempt_at: t + delay })
        .where('id', '=', head.id)
        .execute();
      const failures = hook.consecutive_failures + 1;
      await db.updateTable('webhooks').set({ consecutive_failures: failures }).where('id', '=', hook.id).execute();
      if (failures >= disableAfter) {
        await disable(hook, `${failures} failed attempts in a row; last: ${result.error ?? 'error'}`);
        return;
      }
      if (!giveUp) {
        await jobs.schedule(DELIVER_JOB, jobKey(webhookId, conversationId), t + delay);
        return;
      }
    }
  }

  jobs.handle<null>(DELIVER_JOB, async (job) => {
    const sep = job.key.indexOf(':');
    await deliverConversation(job.key.slice(0, sep), job.key.slice(sep + 1));
  });

  async function siteHook(siteKey: string, id: string): Promise<WebhooksTable> {
    const hook = await db.selectFrom('webhooks').selectAll().where('id', '=', id).where('site_key', '=', siteKey).executeTakeFirst();
    if (!hook) throw notFound('webhook');
    return hook;
  }

  let tail: Promise<void> = Promise.resolve();

  return {
    /** Resolves when the outbox rows of every change heard so far are written (before the database closes). */
    settled: () => tail,
    /** Hangs the outbox off the committed changes. */
    connect(changes: ChangeStream): () => void {
      // One write after another, in commit order: with a pool of connections (PostgreSQL) a later
      // change's rows could otherwise be written, and sent, before an earlier one's.
      return changes.subscribe('webhooks', (change) => {
        if (change.type !== 'conversation') return;
        tail = tail
          .then(() => enqueue(change))
          .catch((err: unknown) => logger?.error({ err, conversationId: change.conversation.id }, 'webhook outbox write failed'));
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
      announce(siteKey);
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
      announce(siteKey);
      if (input.enabled === true && hook.enabled !== 1) {
        const waiting = await db
          .selectFrom('webhook_deliveries')
          .select('conversation_id')
          .distinct()
          .where('webhook_id', '=', id)
          .where('status', '=', 'pending')
          .execute();
        for (const w of waiting) await jobs.schedule(DELIVER_JOB, jobKey(id, w.conversation_id), now());
      }
      return toWebhookView(await siteHook(siteKey, id));
    },

    async remove(siteKey: string, id: string): Promise<void> {
      await siteHook(siteKey, id);
      await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      await db.deleteFrom('webhooks').where('id', '=', id).execute();
      announce(siteKey);
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
