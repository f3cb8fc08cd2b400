// Authentication on the HTTP upgrade, before a socket is accepted: the endpoint, the sub-protocol,
// the site and the page's origin for visitors (and their token when it comes in the header), the
// console's origin and the session cookie for agents (cross-site WebSocket hijacking).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, HTTP_STATUS, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '@servus/shared';
import type { SessionAgent } from '../core/actors.js';
import type { Auth } from '../auth/auth.js';
import { parseCookies, SESSION_COOKIE } from '../auth/auth.js';
import { requestOrigin, type ForwardedOptions } from '../core/forwarded.js';
import { hashToken } from '../core/ids.js';
import { originAllowed, type OriginRefusals, type SiteDirectory } from '../sites/sites.js';
import type { VisitorIdentity } from './connection.js';

export type UpgradeIdentity =
  { role: 'visitor'; siteKey: string; visitor?: VisitorIdentity } | { role: 'agent'; agent: SessionAgent; sessionHash: string };

export type UpgradeResult = { ok: true; identity: UpgradeIdentity } | { ok: false; code: ErrorCode; message: string };

const refuse = (code: ErrorCode, message: string): UpgradeResult => ({ ok: false, code, message });

/** The sub-protocols a client offered (one of them may carry a visitor token). */
export function offeredProtocols(req: IncomingMessage): string[] {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Answers a refused upgrade with the HTTP status of its code and a JSON error body. */
export function rejectUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${HTTP_STATUS[code]} ${code}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function createUpgradeAuth({
  sites,
  auth,
  forwarded,
  originRefused,
}: {
  sites: SiteDirectory;
  auth: Auth;
  forwarded: ForwardedOptions;
  originRefused?: OriginRefusals | undefined;
}) {
  return async function authenticate(req: IncomingMessage, role: 'visitor' | 'agent', url: URL): Promise<UpgradeResult> {
    const offered = offeredProtocols(req);
    if (!offered.includes(SUBPROTOCOL)) return refuse(ErrorCode.BAD_FRAME, `Offer the sub-protocol ${SUBPROTOCOL}.`);
    if (role === 'visitor') {
      const site = await sites.get(url.searchParams.get('site') ?? '');
      if (!site) return refuse(ErrorCode.NOT_FOUND, 'Unknown site.');
      const origin = req.headers.origin;
      if (!originAllowed(site, origin)) {
        originRefused?.(site, origin, 'socket');
        return refuse(ErrorCode.ORIGIN_NOT_ALLOWED, 'This origin may not use this site.');
      }
      const tokenProto = offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
      if (!tokenProto) return { ok: true, identity: { role, siteKey: site.key } };
      const visitor = await auth.visitorForToken(tokenProto.slice(TOKEN_SUBPROTOCOL_PREFIX.length), site.key);
      if (!visitor) return refuse(ErrorCode.UNAUTHORIZED, 'Unknown visitor token.');
      return {
        ok: true,
        identity: {
          role,
          siteKey: site.key,
          visitor: { kind: 'visitor', id: visitor.id, siteKey: visitor.siteKey, name: visitor.name, verified: visitor.row.verified === 1 },
        },
      };
    }
    const origin = req.headers.origin;
    const expected = requestOrigin(req.headers, forwarded);
    if (!origin || !expected || origin !== expected) return refuse(ErrorCode.FORBIDDEN, 'Cross-site WebSocket requests are not allowed.');
    const session = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const agent = await auth.agentForSession(session);
    if (!agent) return refuse(ErrorCode.UNAUTHORIZED, 'Log in first.');
    return { ok: true, identity: { role, agent, sessionHash: hashToken(session!) } };
  };
}
