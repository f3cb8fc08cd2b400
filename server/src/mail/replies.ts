// Conversations that go on by email, outbound: an agent's reply that the visitor has not read (they
// left, or never came back to an offline ticket) is emailed after a short delay, several replies in
// one mail, in the conversation's language, with a single-use link back into the chat and a reply
// address that brings their answer back (inbound.ts). A subscriber of the committed changes starts a
// durable job per conversation; the job decides what to send from the database, so it runs the same
// on any instance and again after a restart.
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Conversations } from '../conversations/index.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Logger } from '../core/logger.js';
import type { SiteDirectory } from '../sites/sites.js';
import type { Database, MailThreadsTable } from '../storage/schema.js';
import { hashToken, newToken, randomId } from '../core/ids.js';
import type { Mailer } from './mailer.js';
import { langOf, replyMail } from './templates.js';

export const REPLY_JOB = 'mail.replies';

export interface MailRepliesOptions {
  db: Kysely<Database>;
  conversations: Conversations;
  jobs: Jobs;
  sites: SiteDirectory;
  mailer: Mailer;
  /** Domain of reply addresses (reply+KEY@domain). */
  replyDomain: string;
  delayMs: number;
  maxPerConversationPerDay: number;
  maxPerSiteHour: number;
  linkTtlMs: number;
  logger: Logger;
  now?: () => number;
}

export type MailReplies = ReturnType<typeof createMailReplies>;

/** The reply address of a thread. */
export const replyAddress = (key: string, domain: string) => `reply+${key}@${domain}`;
/** The key in a reply address, if it is one of ours. */
export function replyKeyOf(address: string, domain: string): string | null {
  const m = /^reply\+([A-Za-z0-9_-]{20,64})@(.+)$/i.exec(address.trim());
  return m && m[2]!.toLowerCase() === domain.toLowerCase() ? m[1]! : null;
}

/** The link back into the chat: the page the visitor chatted on, when the site allows that origin. */
export function linkBase(contextJson: string, allowedOrigins: string[] | undefined): string | null {
  let url: URL;
  try {
    const raw = (JSON.parse(contextJson) as { url?: unknown }).url;
    if (typeof raw !== 'string') return null;
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (allowedOrigins?.length && !allowedOrigins.includes(url.origin)) return null;
  url.hash = '';
  return url.href;
}

export function createMailReplies(options: MailRepliesOptions) {
  const { db, conversations, jobs, sites, mailer, replyDomain, logger, now = Date.now } = options;

  /** The conversation's thread (created on first use), with its unguessable reply key. */
  async function threadFor(conversationId: string, siteKey: string, email: string): Promise<MailThreadsTable> {
    const found = await db.selectFrom('mail_threads').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    if (found && found.email === email) return found;
    if (found) {
      await db.updateTable('mail_threads').set({ email }).where('conversation_id', '=', conversationId).execute();
      return { ...found, email };
    }
    const row: MailThreadsTable = {
      conversation_id: conversationId,
      site_key: siteKey,
      reply_key: randomBytes(18).toString('base64url'),
      email,
      mailed_seq: 0,
      stopped_at: null,
      created_at: now(),
    };
    await db
      .insertInto('mail_threads')
      .values(row)
      .onConflict((oc) => oc.column('conversation_id').doNothing())
      .execute();
    return await db.selectFrom('mail_threads').selectAll().where('conversation_id', '=', conversationId).executeTakeFirstOrThrow();
  }

  async function sentSince(column: 'conversation_id' | 'site_key', value: string, since: number): Promise<number> {
    const row = await db
      .selectFrom('mail_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(column, '=', value)
      .where('direction', '=', 'out')
      .where('outcome', '=', 'sent')
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Sends what the visitor has not read yet, if anything; idempotent (mailed_seq moves after each mail). */
  async function run(conversationId: string): Promise<'sent' | 'nothing' | 'no-email' | 'stopped' | 'limited' | 'disabled'> {
    if (!mailer.enabled) return 'disabled';
    const conv = await db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
    if (!conv) return 'nothing';
    const visitor = await db.selectFrom('visitors').select(['email', 'context']).where('id', '=', conv.visitor_id).executeTakeFirst();
    // An address of our own would mail ourselves in a loop.
    if (!visitor?.email || replyKeyOf(visitor.email, replyDomain)) return 'no-email';
    const thread = await threadFor(conv.id, conv.site_key, visitor.email);
    if (thread.stopped_at !== null) return 'stopped';
    const after = Math.max(thread.mailed_seq, conv.visitor_read_seq);
    const rows = await db
      .selectFrom('events')
      .select(['seq', 'text', 'author_name'])
      .where('conversation_id', '=', conv.id)
      .where('kind', '=', 'message')
      .where('author_type', '=', 'agent')
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(50)
      .execute();
    if (!rows.length) return 'nothing';
    const t = now();
    if (
      (await sentSince('conversation_id', conv.id, t - 86_400_000)) >= options.maxPerConversationPerDay ||
      (await sentSince('site_key', conv.site_key, t - 3_600_000)) >= options.maxPerSiteHour
    ) {
      logger.warn({ conversationId: conv.id, siteKey: conv.site_key }, 'reply mail not sent: limit reached');
      return 'limited';
    }
    const site = await sites.get(conv.site_key);
    const base = linkBase(visitor.context, site?.settings.allowedOrigins);
    let link: string | null = null;
    if (base) {
      const token = newToken();
      await db
        .insertInto('mail_link_tokens')
        .values({ token_hash: hashToken(token), conversation_id: conv.id, expires_at: t + options.linkTtlMs, used_at: null, created_at: t })
        .execute();
      // In the fragment: it never reaches a server's logs or a Referer header.
      link = `${base}#servus-link=${token}`;
    }
    const lang = langOf(conv.lang ?? site?.settings.defaultLang);
    const siteName = site?.name ?? 'Servus';
    const mail = replyMail(
      lang,
      siteName,
      rows.map((r) => ({ author: r.author_name ?? siteName, text: r.text })),
      link,
    );
    const messageId = `<servus.${randomBytes(12).toString('hex')}@${replyDomain}>`;
    const sent = await mailer.send({
      to: visitor.email,
      replyTo: replyAddress(thread.reply_key, replyDomain),
      messageId,
      // RFC 3834: automatic replies (vacation notices) must not answer this mail.
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      ...mail,
    });
    if (!sent) throw new Error('the SMTP server did not take the reply mail');
    const last = rows[rows.length - 1]!.seq;
    await db
      .updateTable('mail_threads')
      .set({ mailed_seq: last })
      .where('conversation_id', '=', conv.id)
      .where('mailed_seq', '<', last)
      .execute();
    await db
      .insertInto('mail_log')
      .values({
        id: randomId('ml'),
        conversation_id: conv.id,
        site_key: conv.site_key,
        direction: 'out',
        message_id: messageId,
        outcome: 'sent',
        created_at: t,
      })
      .execute();
    return 'sent';
  }

  jobs.handle<null>(REPLY_JOB, async (job) => void (await run(job.key)), { maxAttempts: 8 });

  /** Starts the delay at the first unsent reply; later replies within it join the same mail. */
  async function schedule(conversationId: string): Promise<void> {
    if (await jobs.find(REPLY_JOB, conversationId)) return;
    await jobs.schedule(REPLY_JOB, conversationId, now() + options.delayMs, null);
  }

  const off = conversations.changes.subscribe('mail: replies to absent visitors', (change) => {
    if (change.type !== 'conversation' || !mailer.enabled) return;
    if (!change.events.some((e) => e.kind === 'message' && e.author_type === 'agent')) return;
    void schedule(change.conversation.id).catch((err: unknown) => logger.error({ err }, 'scheduling a reply mail failed'));
  });

  return { run, schedule, close: off };
}

/**
 * Redeems a link from a reply mail, once: the visitor gets a fresh token for the conversation's
 * visitor (any other device's token for them stops working) and the conversation to open. Null
 * for an unknown, used or expired link, or one of another site.
 */
export async function redeemLink(
  db: Kysely<Database>,
  siteKey: string,
  token: string,
  now = Date.now(),
): Promise<{ token: string; conversationId: string; visitorId: string } | null> {
  if (token.length < 16 || token.length > 128) return null;
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom('mail_link_tokens')
      .innerJoin('conversations', 'conversations.id', 'mail_link_tokens.conversation_id')
      .select([
        'mail_link_tokens.token_hash',
        'conversations.id',
        'conversations.visitor_id',
        'conversations.site_key',
        'mail_link_tokens.expires_at',
      ])
      .where('mail_link_tokens.token_hash', '=', hashToken(token))
      .where('mail_link_tokens.used_at', 'is', null)
      .executeTakeFirst();
    if (!row || row.site_key !== siteKey || row.expires_at < now) return null;
    // Single use: the conditional update is the claim (two redemptions at once: one wins).
    const used = await tx
      .updateTable('mail_link_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', row.token_hash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    if (!Number(used.numUpdatedRows)) return null;
    const visitorToken = newToken();
    await tx
      .updateTable('visitors')
      .set({ token_hash: hashToken(visitorToken), last_seen_at: now })
      .where('id', '=', row.visitor_id)
      .execute();
    return { token: visitorToken, conversationId: row.id, visitorId: row.visitor_id };
  });
}
