// A visitor's own erasure, confirmed by email (GDPR Art. 17): from the widget they ask to delete
// their data; Servus mails a single-use link (its own random token, never the visitor's) to the
// address their conversation has or the one they give; the link opens a small page that asks to
// confirm (a GET never erases: mail scanners open links), and the confirmation erases everyone
// with that address in the site and the visitor who asked, like an admin's erasure. Requests are
// limited per address, per visitor and per site, counted in the database (the same on every
// instance).
import type { Kysely } from 'kysely';
import { ErrorCode } from '@servus/shared';
import type { Database } from '../storage/schema.js';
import type { SiteDirectory } from '../sites/sites.js';
import type { Mailer } from '../mail/mailer.js';
import { erasureMail, langOf } from '../mail/templates.js';
import { ServusError } from '../core/errors.js';
import { hashToken, newToken } from '../core/ids.js';
import type { AuditLog } from './audit.js';
import type { Privacy } from './privacy.js';
import { subjectOf } from './subject.js';

/** Where the confirmation page lives (GET shows it, POST confirms). */
export const ERASURE_PAGE_PATH = '/privacy/erase';

export interface ErasureRequestsOptions {
  db: Kysely<Database>;
  privacy: Privacy;
  audit: AuditLog;
  sites: SiteDirectory;
  mailer: Mailer;
  /** This server's public origin, for the link in the mail. */
  origin: () => string;
  /** How long a link works. */
  ttlMs: number;
  /** Requests (mails) to one address in a site per day. */
  perAddressDay: number;
  /** Requests one visitor may make per hour. */
  perVisitorHour: number;
  /** Requests of one site per hour. */
  perSiteHour: number;
  now?: () => number;
}

export type ErasureRequests = ReturnType<typeof createErasureRequests>;

const HOUR = 3_600_000;

export function createErasureRequests(options: ErasureRequestsOptions) {
  const { db, privacy, audit, sites, mailer, now = Date.now } = options;

  async function countSince(column: 'email' | 'visitor_id' | 'site_key', value: string, siteKey: string, since: number) {
    const row = await db
      .selectFrom('erasure_requests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('site_key', '=', siteKey)
      .where(column, '=', value)
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The address a visitor's data is tied to: their own, or the one a conversation of theirs went on by. */
  async function knownEmail(visitorId: string): Promise<string | null> {
    const visitor = await db.selectFrom('visitors').select('email').where('id', '=', visitorId).executeTakeFirst();
    if (visitor?.email) return visitor.email;
    const thread = await db
      .selectFrom('mail_threads')
      .innerJoin('conversations', 'conversations.id', 'mail_threads.conversation_id')
      .select('mail_threads.email')
      .where('conversations.visitor_id', '=', visitorId)
      .orderBy('mail_threads.created_at', 'desc')
      .executeTakeFirst();
    return thread?.email ?? null;
  }

  return {
    /**
     * A visitor (authorised by their token) asks to erase their data: the link goes to `email`, or
     * to the address their conversation has. Refused when no address is known, email is not set up,
     * or a limit is reached.
     */
    async request(visitor: { id: string; siteKey: string }, given: string | undefined, lang: string | undefined): Promise<void> {
      if (!mailer.enabled) throw new ServusError(ErrorCode.INVALID_STATE, 'Email is not set up on this server.');
      const email = (given ?? (await knownEmail(visitor.id)) ?? '').trim().toLowerCase();
      if (!email) throw new ServusError(ErrorCode.INVALID_STATE, 'No email address is known for you: give one.');
      const t = now();
      // Expired requests hold an address: gone a day after they expire (the day's count needs them until then).
      await privacy.dropExpiredRequests(t - 24 * HOUR);
      if (
        (await countSince('email', email, visitor.siteKey, t - 24 * HOUR)) >= options.perAddressDay ||
        (await countSince('visitor_id', visitor.id, visitor.siteKey, t - HOUR)) >= options.perVisitorHour ||
        (await countSince('site_key', visitor.siteKey, visitor.siteKey, t - HOUR)) >= options.perSiteHour
      )
        throw new ServusError(ErrorCode.RATE_LIMITED, 'Too many erasure requests: try again later.');
      const site = await sites.get(visitor.siteKey);
      const mailLang = langOf(lang ?? site?.settings.defaultLang);
      const token = newToken();
      await db
        .insertInto('erasure_requests')
        .values({
          token_hash: hashToken(token),
          site_key: visitor.siteKey,
          email,
          visitor_id: visitor.id,
          lang: mailLang,
          expires_at: t + options.ttlMs,
          created_at: t,
        })
        .execute();
      const link = `${options.origin().replace(/\/$/, '')}${ERASURE_PAGE_PATH}?t=${token}`;
      const sent = await mailer.send({
        to: email,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        ...erasureMail(mailLang, site?.name ?? 'Servus', link, Math.round(options.ttlMs / HOUR)),
      });
      if (!sent) {
        await db.deleteFrom('erasure_requests').where('token_hash', '=', hashToken(token)).execute();
        throw new ServusError(ErrorCode.INTERNAL, 'The email could not be sent.');
      }
      await audit.record(
        { type: 'visitor' },
        { action: 'erasure.request', siteKey: visitor.siteKey, subject: subjectOf({ email }, site?.secret) },
      );
    },

    /** What the confirmation page shows for a link (nothing is used up): null when unknown or expired. */
    async pending(token: string): Promise<{ siteName: string; lang: 'de' | 'en'; conversations: number } | null> {
      if (token.length < 16 || token.length > 128) return null;
      const row = await db
        .selectFrom('erasure_requests')
        .selectAll()
        .where('token_hash', '=', hashToken(token))
        .where('expires_at', '>', now())
        .executeTakeFirst();
      if (!row) return null;
      const site = await sites.get(row.site_key);
      const person = await privacy.find([row.site_key], { email: row.email });
      const asker = row.visitor_id ? await privacy.find([row.site_key], { visitorId: row.visitor_id }) : null;
      const ids = new Set([...person.conversations, ...(asker?.conversations ?? [])].map((c) => c.id));
      return { siteName: site?.name ?? 'Servus', lang: langOf(row.lang), conversations: ids.size };
    },

    /** The confirmation (POST from the page): erases, once. Null when the link is unknown, used or expired. */
    async confirm(token: string) {
      if (token.length < 16 || token.length > 128) return null;
      const done = await privacy.eraseByRequest(hashToken(token));
      if (!done) return null;
      const site = await sites.get(done.siteKey);
      await audit.record(
        // A visitor's address is never stored (docs/privacy.md).
        { type: 'visitor' },
        {
          action: 'person.erase-by-visitor',
          siteKey: done.siteKey,
          subject: subjectOf({ email: done.email }, site?.secret),
          detail: { ...done.erased, confirmedBy: 'email' },
        },
      );
      return { erased: done.erased, lang: langOf(done.lang), siteName: site?.name ?? 'Servus' };
    },
  };
}
