// Plain-text emails in German and English. Everything visitors wrote goes in as text.
import type { ChatMessage } from '@servus/shared';

type Lang = 'de' | 'en';

const t = {
  de: {
    offlineSubject: (site: string) => `Neue Nachricht über ${site} (offline)`,
    offlineBody: (email: string, text: string, link: string) =>
      `Eine Besucherin oder ein Besucher hat außerhalb der Erreichbarkeit geschrieben.\n\nE-Mail: ${email}\n\n${text}\n\nIn der Konsole öffnen: ${link}\n`,
    transcriptSubject: (site: string) => `Ihr Chatverlauf mit ${site}`,
    transcriptIntro: (site: string) => `Hier ist Ihr Gespräch mit ${site}.\n`,
    you: 'Sie',
    bot: 'Bot',
    file: 'Datei',
    replySubject: (site: string) => `Neue Antwort von ${site}`,
    replyIntro: (site: string) => `Sie haben eine neue Antwort von ${site} auf Ihre Frage im Chat:`,
    replyHow: (link: string) =>
      `Antworten Sie einfach auf diese E-Mail, oder setzen Sie das Gespräch im Chat fort (der Link gilt einmal):\n${link}`,
    replyFooter: 'Sie erhalten diese E-Mail, weil Sie im Chat Ihre E-Mail-Adresse angegeben haben.',
    erasureSubject: (site: string) => `Löschung Ihrer Chat-Daten bei ${site} bestätigen`,
    erasureBody: (site: string, link: string, hours: number) =>
      `Sie haben im Chat von ${site} gebeten, Ihre Gespräche und Daten zu löschen.\n\nÖffnen Sie diesen Link und bestätigen Sie dort die Löschung (er gilt ${hours} Stunden und nur einmal):\n${link}\n\nWenn Sie das nicht waren, ignorieren Sie diese E-Mail: ohne Bestätigung wird nichts gelöscht.\n`,
  },
  en: {
    offlineSubject: (site: string) => `New message via ${site} (offline)`,
    offlineBody: (email: string, text: string, link: string) =>
      `A visitor wrote while nobody was available.\n\nEmail: ${email}\n\n${text}\n\nOpen in the console: ${link}\n`,
    transcriptSubject: (site: string) => `Your chat with ${site}`,
    transcriptIntro: (site: string) => `Here is your conversation with ${site}.\n`,
    you: 'You',
    bot: 'Bot',
    file: 'File',
    replySubject: (site: string) => `New reply from ${site}`,
    replyIntro: (site: string) => `You have a new reply from ${site} to your question in the chat:`,
    replyHow: (link: string) => `Just reply to this email, or continue the conversation in the chat (the link works once):\n${link}`,
    replyFooter: 'You receive this email because you gave your email address in the chat.',
    erasureSubject: (site: string) => `Confirm the deletion of your chat data at ${site}`,
    erasureBody: (site: string, link: string, hours: number) =>
      `You asked in the chat of ${site} to delete your conversations and data.\n\nOpen this link and confirm the deletion there (it works for ${hours} hours, once):\n${link}\n\nIf this was not you, ignore this email: nothing is deleted without the confirmation.\n`,
  },
} as const;

export const langOf = (lang: string | null | undefined): Lang => (lang === 'en' ? 'en' : 'de');

export function offlineNotification(lang: Lang, site: string, email: string, text: string, link: string) {
  return { subject: t[lang].offlineSubject(site), text: t[lang].offlineBody(email, text, link) };
}

export function transcript(lang: Lang, site: string, messages: ChatMessage[], timeZone = 'Europe/Vienna') {
  const fmt = new Intl.DateTimeFormat(lang === 'de' ? 'de-AT' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone });
  const lines = messages
    .filter((m) => m.kind === 'text')
    .map((m) => {
      const who =
        m.author.type === 'visitor' ? t[lang].you : m.author.type === 'bot' ? (m.author.name ?? t[lang].bot) : (m.author.name ?? site);
      // A file is named, not attached: it stays behind the chat's access check.
      const said = m.attachment ? `[${t[lang].file}: ${m.attachment.name}, ${fileSize(m.attachment.size, lang)}]` : m.text;
      return `[${fmt.format(m.at)}] ${who}: ${said}`;
    });
  return { subject: t[lang].transcriptSubject(site), text: `${t[lang].transcriptIntro(site)}\n${lines.join('\n')}\n` };
}

/** 12 KB, 1.4 MB (a decimal comma in German). */
function fileSize(bytes: number, lang: Lang): string {
  const text = bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return lang === 'de' ? text.replace('.', ',') : text;
}

/** Agents' replies to a visitor who is not in the chat: one mail for several replies, with a link back. */
export function replyMail(lang: Lang, site: string, messages: { author: string; text: string }[], link: string | null) {
  const body = messages.map((m) => `${m.author}:\n${m.text}`).join('\n\n');
  return {
    subject: t[lang].replySubject(site),
    text: `${t[lang].replyIntro(site)}\n\n${body}\n\n${link ? `${t[lang].replyHow(link)}\n\n` : ''}-- \n${t[lang].replyFooter}\n`,
  };
}

/** The link to confirm a visitor's own erasure request (privacy/erasure.ts). */
export function erasureMail(lang: Lang, site: string, link: string, hours: number) {
  return { subject: t[lang].erasureSubject(site), text: t[lang].erasureBody(site, link, hours) };
}
