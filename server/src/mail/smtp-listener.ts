// The SMTP listener for replies by email (SMTP_LISTEN_PORT): takes mail for reply addresses that
// exist and nothing else (refused at RCPT TO, so it is no open relay), up to MAIL_INBOUND_MAX_BYTES,
// and hands each to inbound.ts. Meant to sit behind the domain's MX (or be it, for the reply domain
// alone); no AUTH, no STARTTLS of its own (the MX in front terminates TLS).
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.js';
import type { MailInbound } from './inbound.js';

export interface SmtpListenerOptions {
  inbound: MailInbound;
  port: number;
  host: string;
  maxBytes: number;
  /** The name the listener greets with. */
  hostname: string;
  logger: Logger;
  /** Connections at once. */
  maxClients?: number;
}

export async function startSmtpListener({ inbound, port, host, maxBytes, hostname, logger, maxClients = 50 }: SmtpListenerOptions) {
  const server = new SMTPServer({
    name: hostname,
    banner: 'Servus',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxBytes,
    maxClients,
    logger: false,
    socketTimeout: 60_000,
    async onRcptTo(address, _session, callback) {
      try {
        if (await inbound.knows(address.address)) callback();
        else callback(Object.assign(new Error('No such recipient'), { responseCode: 550 }));
      } catch (err) {
        logger.error({ err }, 'smtp: recipient check failed');
        callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || size > maxBytes) {
          callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          return;
        }
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        inbound
          .receive(
            Buffer.concat(chunks),
            session.envelope.rcptTo.map((r) => r.address),
            from,
          )
          .then(
            (outcome) => {
              logger.debug({ outcome }, 'smtp: mail received');
              callback();
            },
            (err: unknown) => {
              logger.error({ err }, 'smtp: storing a mail failed');
              callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
            },
          );
      });
    },
  });
  server.on('error', (err) => logger.warn({ err: err.message }, 'smtp listener error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
