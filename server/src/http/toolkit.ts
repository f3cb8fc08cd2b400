// What every route uses: one Env type, body and query parsing with one mapping from zod's
// complaint to a BAD_FRAME error (the same the sockets use), and the middleware a router attaches
// for itself (an agent's session, same-origin writes), so a new route cannot miss them.
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { HttpBindings } from '@hono/node-server';
import type { z } from 'zod';
import { ErrorCode } from '@servus/shared';
import type { SessionAgent, VisitorActor } from '../core/actors.js';
import type { Auth } from '../auth/auth.js';
import { SESSION_COOKIE } from '../auth/auth.js';
import { ServusError, invalidInput, notFound } from '../core/errors.js';
import { clientAddress, requestOrigin, type ForwardedOptions } from '../core/forwarded.js';

/** One Env for every route: the Node request, and the agent once `requireAgent` has run. */
export type Env = { Bindings: HttpBindings; Variables: { agent: SessionAgent } };
export type Ctx = Context<Env>;

/** The request's JSON body, validated; BAD_JSON or BAD_FRAME (with the field's path) otherwise. */
export async function parseJson<T>(c: Ctx, schema: z.ZodType<T>): Promise<T> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new ServusError(ErrorCode.BAD_JSON, 'The body must be JSON.');
  }
  // The input in each issue tells a missing field from a wrong one; it is never sent back.
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidInput(parsed.error.issues, 'body');
  return parsed.data;
}

/** The query string, validated like a body. */
export function parseQuery<T>(c: Ctx, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(c.req.query(), { reportInput: true });
  if (!parsed.success) throw invalidInput(parsed.error.issues, 'query');
  return parsed.data;
}

/** The client's address (X-Forwarded-For only behind a trusted proxy). */
export const clientIp = (c: Ctx, forwarded: ForwardedOptions) =>
  clientAddress(c.env.incoming.headers, c.env.incoming.socket.remoteAddress, forwarded);

/** An agent's session cookie opens the route; the agent is `c.get('agent')`. */
export function requireAgent(auth: Auth): MiddlewareHandler<Env> {
  return async (c, next) => {
    const agent = await auth.agentForSession(getCookie(c, SESSION_COOKIE));
    if (!agent) throw new ServusError(ErrorCode.UNAUTHORIZED, 'Log in first.');
    c.set('agent', agent);
    await next();
  };
}

/** The visitor of a widget request: their token as `Authorization: Bearer`, their site as `X-Servus-Site`. */
export async function requireVisitor(auth: Auth, c: Ctx): Promise<VisitorActor> {
  const header = c.req.header('authorization') ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : '';
  const site = c.req.header('x-servus-site') ?? '';
  const visitor = token && site ? await auth.visitorForToken(token, site) : null;
  if (!visitor) throw new ServusError(ErrorCode.UNAUTHORIZED, 'Unknown visitor token.');
  return { kind: 'visitor', id: visitor.id, siteKey: visitor.siteKey, name: visitor.name ?? null };
}

/** CSRF: a cookie-authenticated write must come from our own origin (`Origin`, or `Sec-Fetch-Site`). */
export function sameOrigin(forwarded: ForwardedOptions): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const origin = c.req.header('origin');
      const fetchSite = c.req.header('sec-fetch-site');
      if (
        (origin && origin !== requestOrigin(c.env.incoming.headers, forwarded)) ||
        (!origin && fetchSite && fetchSite !== 'same-origin')
      ) {
        throw new ServusError(ErrorCode.FORBIDDEN, 'Cross-site request refused.');
      }
    }
    await next();
  };
}

/** Only admins past this point. */
export function requireAdmin(c: Ctx, message = 'Only admins may do this.'): void {
  if (c.get('agent').role !== 'admin') throw new ServusError(ErrorCode.FORBIDDEN, message);
}

/** The `:key` site of the route when the agent belongs to it; otherwise the same 404 as for a missing site. */
export function agentSiteKey(c: Ctx): string {
  const key = c.req.param('key') ?? '';
  if (!c.get('agent').siteKeys.includes(key)) throw notFound('site');
  return key;
}

/** Writes an audit entry for the request's agent, from the request's address (privacy/audit.ts). */
export type AuditHook = (
  c: Ctx,
  entry: { action: string; siteKey?: string | null; subject?: string | null; detail?: Record<string, unknown> },
) => Promise<void>;
