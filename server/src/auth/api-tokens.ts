// API tokens for integrations: created by an admin (console, CLI or REST), named, limited to scopes and
// sites, shown once and stored only as a SHA-256 hash. Every request looks its token up in the
// database (one indexed read), so a revocation holds at once on every instance; the last-used time
// is written at most once a minute per token.
import type { Kysely } from 'kysely';
import { ErrorCode, type ApiScope, type ApiTokenView } from '@servus/shared';
import type { Database, ApiTokensTable } from '../storage/schema.js';
import { ServusError } from '../core/errors.js';
import { hashToken, newToken, randomId } from '../core/ids.js';

export const API_SCOPES = [
  'conversations:read',
  'conversations:write',
  'messages:write',
  'faq:manage',
  'sites:manage',
  'metrics:read',
] as const satisfies readonly ApiScope[];

/** What a token's secret starts with: recognisable in logs and by secret scanners. */
export const TOKEN_PREFIX = 'svs_';

/** A request's token, as the routes see it. */
export interface TokenActor {
  kind: 'token';
  id: string;
  name: string;
  scopes: ApiScope[];
  siteKeys: string[];
}

export interface ApiTokensOptions {
  db: Kysely<Database>;
  now?: () => number;
  /** How often a token's last-used time is written at most (ms). */
  touchEveryMs?: number;
  /** Most tokens that are not revoked. */
  maxTokens?: number;
}

export type ApiTokens = ReturnType<typeof createApiTokens>;

const parseList = (text: string): string[] => {
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

export function toTokenView(row: ApiTokensTable): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: parseList(row.scopes) as ApiScope[],
    siteKeys: parseList(row.site_keys),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function createApiTokens({ db, now = Date.now, touchEveryMs = 60_000, maxTokens = 200 }: ApiTokensOptions) {
  return {
    /** A new token; the secret is in the answer and nowhere else. */
    async create(input: { name: string; scopes: ApiScope[]; siteKeys: string[]; createdBy: string | null }) {
      const live = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(live?.n ?? 0) >= maxTokens) throw new ServusError(ErrorCode.CONFLICT, `At most ${maxTokens} tokens; revoke one first.`);
      const secret = `${TOKEN_PREFIX}${newToken()}`;
      const row: ApiTokensTable = {
        id: randomId('tok'),
        name: input.name,
        token_hash: hashToken(secret),
        prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
        scopes: JSON.stringify([...new Set(input.scopes)]),
        site_keys: JSON.stringify([...new Set(input.siteKeys)]),
        created_by: input.createdBy,
        created_at: now(),
        last_used_at: null,
        revoked_at: null,
      };
      await db.insertInto('api_tokens').values(row).execute();
      return { token: toTokenView(row), secret };
    },

    async list(): Promise<ApiTokenView[]> {
      const rows = await db.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').execute();
      return rows.map(toTokenView);
    },

    /** Revokes a token (kept in the list as revoked); false when there is no such live token. */
    async revoke(id: string): Promise<boolean> {
      const res = await db
        .updateTable('api_tokens')
        .set({ revoked_at: now() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    /** The token an `Authorization: Bearer` header carries, or null (missing, unknown or revoked). */
    async authenticate(header: string | undefined): Promise<TokenActor | null> {
      const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
      if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 100) return null;
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(secret)).executeTakeFirst();
      if (!row || row.revoked_at !== null) return null;
      const t = now();
      if (row.last_used_at === null || t - row.last_used_at >= touchEveryMs) {
        // Best effort: a failed bookkeeping write never fails the request.
        await db
          .updateTable('api_tokens')
          .set({ last_used_at: t })
          .where('id', '=', row.id)
          .execute()
          .catch(() => {});
      }
      return { kind: 'token', id: row.id, name: row.name, scopes: parseList(row.scopes) as ApiScope[], siteKeys: parseList(row.site_keys) };
    },
  };
}
