// /api/auth: log in (throttled, login-throttle.ts), log out, who am I, change my password. Every
// write must come from our own origin; `me` and `password` need the session.
import { Hono } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { ErrorCode, type AgentSessionResponse } from '@servus/shared';
import type { Database } from '../../storage/schema.js';
import type { Auth } from '../../auth/auth.js';
import { SESSION_COOKIE } from '../../auth/auth.js';
import type { Config } from '../../core/config.js';
import { ServusError } from '../../core/errors.js';
import { isHttps, type ForwardedOptions } from '../../core/forwarded.js';
import { hashPassword, hashToken, verifyPassword } from '../../core/ids.js';
import { clientIp, parseJson, requireAgent, sameOrigin, type Env } from '../toolkit.js';
import { passwordSchema } from './agents.js';
import { storableString } from '@servus/shared/schemas';

export interface AuthRoutesOptions {
  db: Kysely<Database>;
  auth: Auth;
  config: Pick<Config, 'sessionTtlHours'>;
  forwarded: ForwardedOptions;
  /** Closes an agent's sockets, except those opened with the given session. */
  disconnectAgent: (agentId: string, keepSessionHash?: string) => void;
  /** A session ended here (logout): its sockets close now rather than at the next check. */
  sessionEnded?: (() => void) | undefined;
  /** An agent's account changed: every instance refreshes its sockets of them. */
  agentChanged?: ((agentId: string) => void) | undefined;
}

export function authRoutes({ db, auth, config, forwarded, disconnectAgent, sessionEnded, agentChanged }: AuthRoutesOptions) {
  const app = new Hono<Env>();
  app.use('*', sameOrigin(forwarded));

  app.post('/login', async (c) => {
    const body = await parseJson(c, z.object({ email: z.email().max(254), password: z.string().min(1).max(1024) }));
    const result = await auth.login(body.email, body.password, clientIp(c, forwarded));
    if ('error' in result) {
      if (result.error === 'invalid') throw new ServusError(ErrorCode.UNAUTHORIZED, 'Wrong email or password.');
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      c.header('Retry-After', String(seconds));
      throw new ServusError(ErrorCode.RATE_LIMITED, `Too many failed logins; try again in ${seconds} s.`);
    }
    setCookie(c, SESSION_COOKIE, result.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: isHttps(c.env.incoming.headers, forwarded),
      maxAge: config.sessionTtlHours * 3600,
    });
    const agent = await auth.agentActor(result.agentId);
    return c.json({ agent });
  });

  app.post('/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await auth.logout(token);
    sessionEnded?.();
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.json({ ok: true });
  });

  app.get('/me', requireAgent(auth), (c) => c.json({ agent: c.get('agent') } satisfies AgentSessionResponse));

  // Own profile: the name visitors read, initials instead of the name's, the console's language.
  app.patch('/me', requireAgent(auth), async (c) => {
    const agent = c.get('agent');
    const body = await parseJson(
      c,
      z
        .object({
          name: storableString().trim().min(1).max(200).optional(),
          initials: z
            .string()
            .trim()
            .regex(/^\p{L}[\p{L}\p{N}]{0,2}$/u, '1 to 3 letters or digits, starting with a letter')
            .nullable()
            .optional(),
          lang: z.enum(['de', 'en']).nullable().optional(),
        })
        .strict(),
    );
    const set = {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.initials !== undefined ? { initials: body.initials ? body.initials.toUpperCase() : null } : {}),
      ...(body.lang !== undefined ? { lang: body.lang } : {}),
    };
    if (Object.keys(set).length) await db.updateTable('agents').set(set).where('id', '=', agent.id).execute();
    agentChanged?.(agent.id);
    return c.json({ agent: (await auth.agentActor(agent.id))! } satisfies AgentSessionResponse);
  });

  // Own password: ends every other session and socket of this agent.
  app.post('/password', requireAgent(auth), async (c) => {
    const agent = c.get('agent');
    const body = await parseJson(c, z.object({ current: z.string().min(1).max(1024), next: passwordSchema }));
    const row = await db.selectFrom('agents').select('password_hash').where('id', '=', agent.id).executeTakeFirstOrThrow();
    if (!(await verifyPassword(body.current, row.password_hash)))
      throw new ServusError(ErrorCode.FORBIDDEN, 'The current password is wrong.', { path: 'current' });
    const keep = hashToken(getCookie(c, SESSION_COOKIE) ?? '');
    await db
      .updateTable('agents')
      .set({ password_hash: await hashPassword(body.next) })
      .where('id', '=', agent.id)
      .execute();
    await db.deleteFrom('sessions').where('agent_id', '=', agent.id).where('token_hash', '!=', keep).execute();
    disconnectAgent(agent.id, keep);
    return c.json({ ok: true });
  });
  return app;
}
