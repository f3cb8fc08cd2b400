// Conversations that go on by email, inbound: a visitor's reply to a reply mail (replies.ts), by
// SMTP (smtp-listener.ts) or posted by a mail provider (routes/mail.ts), becomes a visitor message
// in the same conversation: stored once (the Message-ID is logged, and it is the command's cid),
// with its seq, live in the console like any message. The reply address (reply+KEY@domain, KEY
// unguessable) is what authorises it. Bounces stop the thread; automatic replies and our own mails
// coming back (a loop) are dropped, never answered; a conversation and a site take only so many
// mails an hour.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { simpleParser, type ParsedMail } from 'mailparser';
import { DEFAULT_LIMITS } from '@servus/shared';
import type { Conversations } from '../conversations/index.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../storage/schema.js';
import { randomId } from '../core/ids.js';
import { replyKeyOf } from './replies.js';
import { stripReply } from './strip.js';

export type InboundOutcome =
  'stored' | 'duplicate' | 'unknown-recipient' | 'auto-reply' | 'own' | 'bounce' | 'empty' | 'limited' | 'too-large';

export interface MailInboundOptions {
  db: Kysely<Database>;
  conversations: Conversations;
  replyDomain: string;
  maxBytes: number;
  /** Mails one conversation takes in an hour (more are dropped and logged). */
  maxPerConversationHour?: number;
  /** Mails one site takes in an hour. */
  maxPerSiteHour?: number;
  /** The address Servus sends from (MAIL_FROM): a mail from it is one of ours come back. */
  fromAddress?: string | undefined;
  logger: Logger;
  now?: () => number;
}

export type MailInbound = ReturnType<typeof createMailInbound>;

/** RFC 3834 and the usual vendor headers: this mail was sent by a machine, not typed by a person. */
export function isAutomatic(mail: Pick<ParsedMail, 'headers'>): boolean {
  const h = (name: string) => {
    const v = mail.headers.get(name);
    return typeof v === 'string' ? v.toLowerCase() : v && typeof v === 'object' && 'value' in v ? String(v.value).toLowerCase() : '';
  };
  const auto = h('auto-submitted');
  if (auto && auto !== 'no') return true;
  if (['bulk', 'junk', 'list', 'auto_reply'].includes(h('precedence'))) return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || mail.headers.has('x-auto-response-suppress')) return true;
  // mailparser gathers List-Id, List-Unsubscribe and the other List-* headers under `list`.
  if (mail.headers.has('list') || mail.headers.has('list-id') || mail.headers.has('list-unsubscribe')) return true;
  return false;
}

/**
 * One of our own mails come back (a visitor's address that forwards to the reply address, a
 * misrouted MX): sent from our address or a reply address, or carrying a Message-ID we made.
 */
export function isOwn(mail: Pick<ParsedMail, 'from' | 'messageId'>, replyDomain: string, fromAddress: string | undefined): boolean {
  const from = mail.from?.value[0]?.address?.toLowerCase() ?? '';
  if (fromAddress && from === fromAddress.toLowerCase()) return true;
  if (replyKeyOf(from, replyDomain)) return true;
  return (
    (mail.messageId ?? '').toLowerCase().startsWith('<servus.') &&
    (mail.messageId ?? '').toLowerCase().endsWith(`@${replyDomain.toLowerCase()}>`)
  );
}

/** A delivery status notification (a bounce): multipart/report, or from the mailer daemon. */
export function isBounce(mail: Pick<ParsedMail, 'headers' | 'from'>, envelopeFrom: string | null): boolean {
  const type = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  if (type?.value === 'multipart/report' && /delivery-status/i.test(type.params?.['report-type'] ?? '')) return true;
  if (envelopeFrom === '') return true;
  const from = mail.from?.value[0]?.address?.toLowerCase() ?? '';
  return /^(mailer-daemon|postmaster)@/.test(from);
}

export function createMailInbound({
  db,
  conversations,
  replyDomain,
  maxBytes,
  maxPerConversationHour = 20,
  maxPerSiteHour = 500,
  fromAddress,
  logger,
  now = Date.now,
}: MailInboundOptions) {
  async function log(conversationId: string | null, siteKey: string, messageId: string, outcome: InboundOutcome): Promise<boolean> {
    const res = await db
      .insertInto('mail_log')
      .values({
        id: randomId('ml'),
        conversation_id: conversationId,
        site_key: siteKey,
        direction: 'in',
        message_id: messageId,
        outcome,
        created_at: now(),
      })
      .onConflict((oc) => oc.columns(['direction', 'message_id']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async function received(column: 'conversation_id' | 'site_key', value: string): Promise<number> {
    const row = await db
      .selectFrom('mail_log')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(column, '=', value)
      .where('direction', '=', 'in')
      .where('created_at', '>=', now() - 3_600_000)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The thread a recipient address names, if it is a reply address of ours that exists. */
  async function threadOf(recipients: string[]) {
    for (const address of recipients) {
      const key = replyKeyOf(address, replyDomain);
      if (!key) continue;
      const thread = await db.selectFrom('mail_threads').selectAll().where('reply_key', '=', key).executeTakeFirst();
      if (thread) return thread;
    }
    return null;
  }

  return {
    /** Whether an address may receive (the SMTP listener refuses others at RCPT TO). */
    async knows(address: string): Promise<boolean> {
      return (await threadOf([address])) !== null;
    },
    /**
     * Takes one raw mail. `recipients`: the envelope's (SMTP) or the provider's; the To and Cc
     * headers are looked at too. `envelopeFrom`: '' for the null sender of a bounce.
     */
    async receive(raw: Buffer | string, recipients: string[], envelopeFrom: string | null = null): Promise<InboundOutcome> {
      if (Buffer.byteLength(raw) > maxBytes) return 'too-large';
      const mail = await simpleParser(raw, { skipHtmlToText: false, skipImageLinks: true, skipTextLinks: true });
      const headerTo = [mail.to, mail.cc]
        .flatMap((a) => (Array.isArray(a) ? a : a ? [a] : []))
        .flatMap((a) => a.value.map((v) => v.address ?? ''));
      const thread = await threadOf([...recipients, ...headerTo]);
      if (!thread) return 'unknown-recipient';
      const messageId = (mail.messageId ?? `<sha256.${createHash('sha256').update(raw).digest('hex')}>`).slice(0, 300);
      if (isBounce(mail, envelopeFrom)) {
        if (!(await log(thread.conversation_id, thread.site_key, messageId, 'bounce'))) return 'duplicate';
        await db.updateTable('mail_threads').set({ stopped_at: now() }).where('conversation_id', '=', thread.conversation_id).execute();
        logger.info({ conversationId: thread.conversation_id }, 'reply mail bounced: no more mails to this conversation');
        return 'bounce';
      }
      if (isOwn(mail, replyDomain, fromAddress)) {
        await log(thread.conversation_id, thread.site_key, messageId, 'own');
        logger.warn({ conversationId: thread.conversation_id }, 'inbound mail dropped: one of our own mails came back');
        return 'own';
      }
      if (isAutomatic(mail)) {
        await log(thread.conversation_id, thread.site_key, messageId, 'auto-reply');
        return 'auto-reply';
      }
      if (
        (await received('conversation_id', thread.conversation_id)) >= maxPerConversationHour ||
        (await received('site_key', thread.site_key)) >= maxPerSiteHour
      ) {
        await log(thread.conversation_id, thread.site_key, messageId, 'limited');
        logger.warn({ conversationId: thread.conversation_id }, 'inbound mail dropped: limit reached');
        return 'limited';
      }
      const text = stripReply(mail.text ?? '').slice(0, DEFAULT_LIMITS.maxMessageChars);
      if (!text) {
        await log(thread.conversation_id, thread.site_key, messageId, 'empty');
        return 'empty';
      }
      const conv = await db
        .selectFrom('conversations')
        .innerJoin('visitors', 'visitors.id', 'conversations.visitor_id')
        .select(['conversations.id', 'conversations.site_key', 'visitors.id as visitorId', 'visitors.name'])
        .where('conversations.id', '=', thread.conversation_id)
        .executeTakeFirst();
      if (!conv) return 'unknown-recipient';
      // The cid makes the message exactly-once even if two deliveries of one mail race past the log.
      const cid = `mail:${createHash('sha256').update(messageId).digest('base64url').slice(0, 40)}`;
      await conversations.commands.visitorMessage(
        { kind: 'visitor', id: conv.visitorId, siteKey: conv.site_key, name: conv.name },
        { cid, conversationId: conv.id, text },
      );
      return (await log(conv.id, conv.site_key, messageId, 'stored')) ? 'stored' : 'duplicate';
    },
  };
}
