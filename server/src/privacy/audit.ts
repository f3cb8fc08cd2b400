// The audit log: who exported, erased or viewed a person's data, or changed settings and agents,
// when and from where. Its own table, apart from conversation data: erasing a person never deletes
// an entry, and an entry never holds the person's email, name or visitor id (a searched-for email
// is kept as an HMAC under the site's secret, so "was this request carried out?" can be answered).
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditEntry } from '@servus/shared';
import type { AuditLogTable, Database } from '../storage/schema.js';
import { randomId } from '../core/ids.js';

/** What Servus keeps of a client's address (IP_ADDRESSES): the network part, or nothing. */
export type AddressMode = 'truncated' | 'none';

export interface AuditActor {
  type: AuditLogTable['actor_type'];
  id?: string | null;
  name?: string | null;
  /** The client's address as seen; stored truncated or not at all. */
  address?: string | null;
}

export interface AuditRecord {
  action: string;
  siteKey?: string | null;
  subject?: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditLogOptions {
  db: Kysely<Database>;
  addressMode?: AddressMode;
  now?: () => number;
}

export type AuditLog = ReturnType<typeof createAuditLog>;

/** IPv4 to its /24, IPv6 to its /48; anything else is dropped. */
export function truncateAddress(address: string | null | undefined, mode: AddressMode = 'truncated'): string | null {
  if (!address || mode === 'none') return null;
  const plain = address.startsWith('::ffff:') && address.slice(7).includes('.') ? address.slice(7) : address;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(plain);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0`;
  if (plain.includes(':')) {
    const [head = ''] = plain.split('::');
    const groups = head.split(':').filter(Boolean);
    // Fewer than three groups before '::' means the rest of the /48 is zeros.
    const first = [...groups.slice(0, 3), '0', '0', '0'].slice(0, 3);
    return `${first.join(':')}::`;
  }
  return null;
}

/** The keyed hash an entry keeps instead of an email address (lower-cased first). */
export function emailDigest(email: string, secret: string): string {
  return createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex').slice(0, 32);
}

export interface AuditQuery {
  siteKeys?: string[];
  action?: string;
  before?: number;
  limit?: number;
}

export function createAuditLog({ db, addressMode = 'truncated', now = Date.now }: AuditLogOptions) {
  const toEntry = (r: AuditLogTable): AuditEntry => ({
    id: r.id,
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    address: r.address,
    action: r.action,
    siteKey: r.site_key,
    subject: r.subject,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  });
  return {
    addressMode,
    async record(actor: AuditActor, entry: AuditRecord, executor: Kysely<Database> = db): Promise<void> {
      await executor
        .insertInto('audit_log')
        .values({
          id: randomId('au'),
          at: now(),
          actor_type: actor.type,
          actor_id: actor.id ?? null,
          actor_name: actor.name?.slice(0, 254) ?? null,
          address: truncateAddress(actor.address, addressMode),
          action: entry.action,
          site_key: entry.siteKey ?? null,
          subject: entry.subject?.slice(0, 200) ?? null,
          detail: JSON.stringify(entry.detail ?? {}),
        })
        .execute();
    },
    /**
     * Newest first. Entries without a site (agents, the CLI) are listed for admins with
     * `siteKeys` undefined only.
     */
    async list({ siteKeys, action, before, limit = 100 }: AuditQuery = {}): Promise<AuditEntry[]> {
      let q = db.selectFrom('audit_log').selectAll();
      if (siteKeys) q = siteKeys.length ? q.where('site_key', 'in', siteKeys) : q.where('site_key', '=', '\u0000');
      if (action) q = q.where('action', '=', action);
      if (before !== undefined) q = q.where('at', '<', before);
      const rows = await q
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.min(Math.max(limit, 1), 1000))
        .execute();
      return rows.map(toEntry);
    },
    /** Deletes the entries older than `before` (the audit log's own retention, retention.ts); how many. */
    async prune(before: number): Promise<number> {
      const res = await db.deleteFrom('audit_log').where('at', '<', before).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
    /** The latest entry of an action for a site (the console's "last retention run"). */
    async latest(action: string, siteKey: string): Promise<AuditEntry | null> {
      const row = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', action)
        .where('site_key', '=', siteKey)
        .orderBy('at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toEntry(row) : null;
    },
  };
}
