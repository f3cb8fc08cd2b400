// Identity from the site's own login as a JWT: HS256 with the site's secret, `sub` the user's id,
// `exp` required (a token without an expiry would vouch for the user forever), `nbf` honoured,
// `name` and `email` optional. Any other algorithm (`none` included) is refused, so a token cannot
// choose how it is checked.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode } from '@servus/shared';
import { ServusError } from '../core/errors.js';

export interface VerifiedIdentity {
  id: string;
  name: string | null;
  email: string | null;
}

/** Clock difference tolerated between the site's server and ours, in seconds. */
export const JWT_LEEWAY_SECONDS = 30;

const refuse = (why: string) => new ServusError(ErrorCode.FORBIDDEN, `The identity token ${why}.`, { path: 'jwt' });

function decodePart(part: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw refuse('is not a JWT');
}

export function verifyIdentityJwt(token: string, secret: string | null, nowMs: number = Date.now()): VerifiedIdentity {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw refuse('is not a JWT');
  const [head, body, signature] = parts as [string, string, string];
  const header = decodePart(head);
  if (header.alg !== 'HS256') throw refuse('must be signed with HS256');
  if (!secret) throw refuse('cannot be checked: the site has no secret');
  const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('has a wrong signature');
  const claims = decodePart(body);
  const now = nowMs / 1000;
  if (typeof claims.exp !== 'number') throw refuse('needs an exp (expiry) claim');
  if (claims.exp + JWT_LEEWAY_SECONDS <= now) throw refuse('has expired');
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - JWT_LEEWAY_SECONDS > now))
    throw refuse('is not valid yet');
  if (typeof claims.sub !== 'string' || !claims.sub || claims.sub.length > 128)
    throw refuse('needs a sub (user id) of at most 128 characters');
  const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : null);
  const email = text(claims.email, 254);
  return { id: claims.sub, name: text(claims.name, 200), email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null };
}

/** An HS256 JWT (for tests and examples: what a site's backend does with any JWT library). */
export function signIdentityJwt(claims: Record<string, unknown>, secret: string, alg = 'HS256'): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = enc({ alg, typ: 'JWT' });
  const body = enc(claims);
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}
