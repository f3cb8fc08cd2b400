// Email over SMTP (nodemailer): the team hears about offline messages, visitors can get their
// transcript. Without SMTP_URL nothing is sent, and the server says so once.
import nodemailer from 'nodemailer';
import type { Logger } from '../core/logger.js';

export interface Mail {
  to: string | string[];
  subject: string;
  text: string;
  replyTo?: string;
  /** Extra headers (Auto-Submitted, References, …). */
  headers?: Record<string, string>;
  /** The Message-ID to use (without one nodemailer makes one up). */
  messageId?: string;
}

export interface Mailer {
  readonly enabled: boolean;
  send(mail: Mail): Promise<boolean>;
  close(): void;
}

export interface MailerOptions {
  /** smtp://user:pass@host:port or smtps://…; undefined disables email. */
  smtpUrl?: string | undefined;
  from: string;
  logger: Logger;
}

export function createMailer({ smtpUrl, from, logger }: MailerOptions): Mailer {
  if (!smtpUrl) {
    logger.info('SMTP_URL is not set: offline-message notifications and transcripts are not emailed');
    return { enabled: false, send: async () => false, close() {} };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    enabled: true,
    async send(mail) {
      try {
        await transport.sendMail({ from, ...mail });
        return true;
      } catch (err) {
        logger.error({ err: (err as Error).message, subject: mail.subject }, 'email failed');
        return false;
      }
    },
    close: () => transport.close(),
  };
}
