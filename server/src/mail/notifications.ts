// What Servus emails: the team hears of an offline message (a subscriber of the committed-change
// stream), and a visitor can have their conversation sent to them.
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Conversations } from '../conversations/index.js';
import { parseData, toMessage } from '../conversations/index.js';
import type { Logger } from '../core/logger.js';
import type { SiteDirectory } from '../sites/sites.js';
import type { Mailer } from './mailer.js';
import { langOf, offlineNotification, transcript } from './templates.js';

export interface MailNotificationsOptions {
  db: Kysely<Database>;
  conversations: Conversations;
  sites: SiteDirectory;
  mailer: Mailer;
  /** The console's origin for links in mails (known once the server listens). */
  consoleOrigin: () => string;
  logger: Logger;
}

/** Most messages a transcript holds. */
const TRANSCRIPT_MAX_EVENTS = 2000;

export function createMailNotifications({ db, conversations, sites, mailer, consoleOrigin, logger }: MailNotificationsOptions) {
  /** The site's notification addresses, or its admins. */
  async function teamAddresses(siteKey: string, notifyEmails: string[] | undefined): Promise<string[]> {
    if (notifyEmails?.length) return notifyEmails;
    const rows = await db
      .selectFrom('agents')
      .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
      .select('agents.email')
      .where('agent_sites.site_key', '=', siteKey)
      .where('agents.role', '=', 'admin')
      .execute();
    return rows.map((a) => a.email);
  }

  async function notifyOffline(conversationId: string, siteKey: string, email: string, text: string): Promise<void> {
    const site = await sites.get(siteKey);
    if (!site || !mailer.enabled) return;
    const to = await teamAddresses(site.key, site.settings.notifyEmails);
    if (!to.length) return;
    const link = `${consoleOrigin()}/console/conversations/${conversationId}`;
    const mail = offlineNotification(langOf(site.settings.defaultLang), site.name, email, text, link);
    await mailer.send({ to, replyTo: email, ...mail });
  }

  const off = conversations.changes.subscribe('mail: offline messages', (change) => {
    if (change.type !== 'conversation' || change.cause.kind !== 'visitor') return;
    for (const row of change.events) {
      const offline = row.kind === 'message' ? parseData(row).offline : undefined;
      if (!offline) continue;
      void notifyOffline(change.conversation.id, change.conversation.site_key, offline.email, row.text).catch((err: unknown) =>
        logger.error({ err }, 'offline notification failed'),
      );
    }
  });

  return {
    /** Emails a visitor their conversation (to `email`, or the address they gave); false when email is off or no address is known. */
    async sendTranscript(visitorId: string, siteKey: string, conversationId: string, email: string | undefined): Promise<boolean> {
      if (!mailer.enabled) return false;
      const to = email ?? (await conversations.visitorEmail(visitorId));
      if (!to) return false;
      const conv = await conversations.visitorConversation({ kind: 'visitor', id: visitorId, siteKey }, conversationId);
      const site = await sites.get(siteKey);
      const { rows } = await conversations.eventsAfter(conv, 'visitor', 0, TRANSCRIPT_MAX_EVENTS);
      const messages = rows.filter((r) => r.kind === 'message').map((r) => toMessage(r, 'visitor'));
      const mail = transcript(
        langOf(conv.lang ?? site?.settings.defaultLang),
        site?.name ?? 'Servus',
        messages,
        site?.settings.businessHours?.timeZone,
      );
      return mailer.send({ to, ...mail });
    },
    close: off,
  };
}
