// An agent socket lives only as long as its session. A session ends in many places (logout, a
// password change, removal, expiry, the command line, another instance), so the database is the
// truth: every agent socket is checked against it (one query for all of them) and closed with 1008
// once its session is gone.
import { CloseCode, ErrorCode } from '@servus/shared';
import type { Auth } from '../auth/auth.js';
import type { Logger } from '../core/logger.js';
import type { Conn, Sender } from './connection.js';

export interface SessionCheckOptions {
  auth: Pick<Auth, 'liveSessions'>;
  sockets: () => Iterable<Conn>;
  sender: Pick<Sender, 'closeWith'>;
  logger: Logger;
  /** How often (ms). */
  intervalMs?: number;
}

export function createSessionCheck({ auth, sockets, sender, logger, intervalMs = 250 }: SessionCheckOptions) {
  let running: Promise<void> | null = null;
  /** A check asked for while one runs: that one may have read the session before it ended. */
  let again = false;

  function check(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    const current = (async () => {
      do {
        again = false;
        const byHash = new Map<string, Conn[]>();
        for (const conn of sockets()) {
          if (!conn.sessionHash) continue;
          const list = byHash.get(conn.sessionHash);
          if (list) list.push(conn);
          else byHash.set(conn.sessionHash, [conn]);
        }
        if (!byHash.size) return;
        const live = await auth.liveSessions([...byHash.keys()]);
        for (const [hash, list] of byHash) {
          if (live.has(hash)) continue;
          for (const conn of list) sender.closeWith(conn, CloseCode.POLICY, ErrorCode.UNAUTHORIZED, 'Your session has ended.');
        }
      } while (again);
    })()
      .catch((err: unknown) => logger.warn({ err }, 'session check failed'))
      .finally(() => {
        running = null;
      });
    running = current;
    return current;
  }

  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
