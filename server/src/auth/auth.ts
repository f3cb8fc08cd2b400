// Agent sessions (cookie) and visitor tokens (sub-protocol or first frame), both stored hashed.
import type { Kysely } from 'kysely';
import type { Database, VisitorsTable } from '../storage/schema.js';
import { hashToken, newToken, randomId, verifyPassword } from '../core/ids.js';
import type { SessionAgent, VisitorActor } from '../core/actors.js';
import type { Dialect } from '../storage/db.js';
import { createLoginThrottle, type LoginLimits } from './login-throttle.js';

export const SESSION_COOKIE = 'servus_session';

export interface AuthOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  sessionTtlMs: number;
  now?: () => number;
  /** Login throttling (login-throttle.ts); its defaults are documented in docs/configuration.md. */
  loginLimits?: LoginLimits;
}

export type Auth = ReturnType<typeof createAuth>;

/** Verified against when the email is unknown, so that a wrong email takes as long as a wrong password. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createAuth({ db, dialect, sessionTtlMs, now = Date.now, loginLimits }: AuthOptions) {
  const throttle = createLoginThrottle({ db, dialect, now, ...(loginLimits ? { limits: loginLimits } : {}) });

  /** The agent as a session knows them; null when removed or deactivated. */
  async function agentActor(agentId: string): Promise<SessionAgent | null> {
    const agent = await db
      .selectFrom('agents')
      .select(['id', 'name', 'email', 'role', 'status', 'initials', 'lang', 'active'])
      .where('id', '=', agentId)
      .executeTakeFirst();
    if (!agent || !agent.active) return null;
    const sites = await db.selectFrom('agent_sites').select('site_key').where('agent_id', '=', agentId).execute();
    return {
      kind: 'agent',
      id: agent.id,
      name: agent.name,
      email: agent.email,
      role: agent.role,
      siteKeys: sites.map((s) => s.site_key),
      status: agent.status === 'away' || agent.status === 'offline' ? agent.status : 'online',
      initials: agent.initials,
      lang: agent.lang === 'de' || agent.lang === 'en' ? agent.lang : null,
    };
  }

  return {
    agentActor,
    /** Keeps the status an agent chose (across reloads and devices, until they change it). */
    async setAgentStatus(agentId: string, status: 'online' | 'away' | 'offline'): Promise<void> {
      await db.updateTable('agents').set({ status }).where('id', '=', agentId).execute();
    },
    /** Forgets an account's failed logins (an admin set a new password). */
    clearLoginFailures: (email: string) => throttle.clearAccount(email),
    async login(
      email: string,
      password: string,
      address: string,
    ): Promise<{ token: string; agentId: string } | { error: 'invalid' } | { error: 'throttled'; retryAfterMs: number }> {
      const verdict = await throttle.attempt(email, address);
      if (!verdict.allowed) return { error: 'throttled', retryAfterMs: verdict.retryAfterMs };
      const agent = await db.selectFrom('agents').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
      if (!agent || !(await verifyPassword(password, agent?.password_hash ?? DUMMY_HASH)) || !agent.active) {
        await verdict.settle(null);
        return { error: 'invalid' };
      }
      await verdict.settle({ agentId: agent.id });
      const token = newToken();
      await db
        .insertInto('sessions')
        .values({ token_hash: hashToken(token), agent_id: agent.id, created_at: now(), expires_at: now() + sessionTtlMs })
        .execute();
      return { token, agentId: agent.id };
    },
    async logout(token: string): Promise<void> {
      await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
    },
    async agentForSession(token: string | undefined) {
      if (!token || token.length > 128) return null;
      const session = await db
        .selectFrom('sessions')
        .select(['agent_id', 'expires_at'])
        .where('token_hash', '=', hashToken(token))
        .executeTakeFirst();
      if (!session || session.expires_at < now()) return null;
      return agentActor(session.agent_id);
    },
    /** Of these session hashes, the ones that still open a session (not ended, not expired, agent neither removed nor deactivated). */
    async liveSessions(hashes: string[]): Promise<Set<string>> {
      const live = new Set<string>();
      for (let i = 0; i < hashes.length; i += 500) {
        const rows = await db
          .selectFrom('sessions')
          .innerJoin('agents', 'agents.id', 'sessions.agent_id')
          .select('sessions.token_hash')
          .where('sessions.token_hash', 'in', hashes.slice(i, i + 500))
          .where('sessions.expires_at', '>', now())
          .where('agents.active', '=', 1)
          .execute();
        for (const row of rows) live.add(row.token_hash);
      }
      return live;
    },
    /** Of these visitor ids, the ones that still exist (an erasure deletes the others). */
    async existingVisitors(ids: string[]): Promise<Set<string>> {
      const found = new Set<string>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom('visitors')
          .select('id')
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
        for (const row of rows) found.add(row.id);
      }
      return found;
    },
    async visitorForToken(token: string, siteKey: string): Promise<(VisitorActor & { row: VisitorsTable }) | null> {
      if (token.length < 16 || token.length > 128) return null;
      const row = await db.selectFrom('visitors').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
      if (!row || row.site_key !== siteKey) return null;
      return { kind: 'visitor', id: row.id, siteKey: row.site_key, name: row.name, row };
    },
    async createVisitor(siteKey: string, context: string): Promise<{ token: string; visitor: VisitorActor & { row: VisitorsTable } }> {
      const token = newToken();
      const row: VisitorsTable = {
        id: randomId('v'),
        site_key: siteKey,
        token_hash: hashToken(token),
        external_id: null,
        name: null,
        email: null,
        verified: 0,
        context,
        created_at: now(),
        last_seen_at: now(),
      };
      await db.insertInto('visitors').values(row).execute();
      return { token, visitor: { kind: 'visitor', id: row.id, siteKey, name: null, row } };
    },
  };
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) {
      try {
        out[k] = decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        /* ignore malformed */
      }
    }
  }
  return out;
}
