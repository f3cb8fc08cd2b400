// Login throttling that slows an attacker without locking out the owner. Three counters, all in the
// database so every instance sees the same (docs/configuration.md, "Logins"):
//
// - per account and address: the first `freeAttempts` failures cost nothing; after that each
//   attempt must wait a delay that doubles with every further failure (1 s, 2 s, 4 s, ... at most
//   `maxDelayMs`). A success clears it. This is what stops a brute force from one address.
// - per address, over all accounts: after `addressFailures` failures in `windowMs`, the address is
//   refused until the window ends (a password spray across accounts).
// - per account, over all addresses: after `accountFailures` failures in `windowMs`, the account
//   refuses every address it has never been logged in from until the window ends (a distributed
//   attack); an address the owner logged in from before is not subject to it.
//
// An attempt is counted as a failure before the password is checked (and taken back if it was
// right), so a burst of parallel guesses cannot all slip through one check. Unknown emails are
// counted exactly like known ones: a 429 tells nothing about which accounts exist.
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';

export interface LoginLimits {
  /** Failures per account and address before attempts have to wait. */
  freeAttempts: number;
  /** The first wait after those; it doubles with every further failure. */
  firstDelayMs: number;
  /** The longest wait between two attempts on one account from one address. */
  maxDelayMs: number;
  /** Failures from one address, over all accounts, per window before it is refused. */
  addressFailures: number;
  /** Failures on one account, over all addresses, per window before unknown addresses are refused. */
  accountFailures: number;
  windowMs: number;
  /** An account-and-address count is forgotten this long after its last failure. */
  forgetAfterMs: number;
  /** An address counts as the owner's this long after a successful login from it. */
  knownAddressMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  freeAttempts: 5,
  firstDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  addressFailures: 50,
  accountFailures: 100,
  windowMs: 60 * 60_000,
  forgetAfterMs: 24 * 3600_000,
  knownAddressMs: 90 * 86400_000,
};

export type ThrottleVerdict =
  { allowed: true; settle(outcome: { agentId: string } | null): Promise<void> } | { allowed: false; retryAfterMs: number };

export interface LoginThrottle {
  /**
   * Whether this attempt may check a password. When allowed, the attempt is already counted as a
   * failure; `settle` with the agent's id (a right password) takes that back and remembers the address.
   */
  attempt(email: string, address: string): Promise<ThrottleVerdict>;
  /** Forgets every failure of an account (an admin set a new password). */
  clearAccount(email: string): Promise<void>;
}

const sha = (value: string) => createHash('sha256').update(value).digest('hex');

/** The unit an attacker cannot cheaply change: an IPv4 address, an IPv6 address's /64. */
export function addressKey(ip: string): string {
  const plain = ip.startsWith('::ffff:') && !ip.slice(7).includes(':') ? ip.slice(7) : ip;
  if (!isIPv6(plain)) return sha(plain);
  const [head = '', tail = ''] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return sha(
    `${groups
      .slice(0, 4)
      .map((g) => parseInt(g || '0', 16).toString(16))
      .join(':')}::/64`,
  );
}

export function createLoginThrottle({
  db,
  dialect,
  now = Date.now,
  limits = DEFAULT_LOGIN_LIMITS,
}: {
  db: Kysely<Database>;
  dialect: Dialect;
  now?: () => number;
  limits?: LoginLimits;
}): LoginThrottle {
  const delayAfter = (failures: number) =>
    failures < limits.freeAttempts ? 0 : Math.min(limits.maxDelayMs, limits.firstDelayMs * 2 ** (failures - limits.freeAttempts));
  let lastSweep = 0;

  return {
    async attempt(email, ip) {
      const t = now();
      const account = sha(email.trim().toLowerCase());
      const address = addressKey(ip);
      const keys = { pair: `p:${account}:${address}`, address: `a:${address}`, account: `c:${account}` };
      const verdict = await db.transaction().execute(async (tx) => {
        // The rows exist before they are read and locked, so that parallel first attempts queue up
        // behind each other instead of each finding nothing to lock (PostgreSQL).
        await tx
          .insertInto('login_throttle')
          .values(Object.values(keys).map((key) => ({ key, failures: 0, window_start: t, last_at: 0 })))
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
        const query = tx.selectFrom('login_throttle').selectAll().where('key', 'in', Object.values(keys));
        // SQLite has one writer (the transaction holds it); PostgreSQL locks the rows.
        const rows = await (dialect === 'postgres' ? query.forUpdate() : query).execute();
        const row = (key: string) => rows.find((r) => r.key === key);
        const inWindow = (key: string) => {
          const r = row(key);
          return r && t - r.window_start < limits.windowMs ? r : undefined;
        };
        const byAddress = inWindow(keys.address);
        if (byAddress && byAddress.failures >= limits.addressFailures) return { retryAt: byAddress.window_start + limits.windowMs };
        const byAccount = inWindow(keys.account);
        if (byAccount && byAccount.failures >= limits.accountFailures) {
          const known = await tx
            .selectFrom('agent_login_addresses')
            .innerJoin('agents', 'agents.id', 'agent_login_addresses.agent_id')
            .select('agent_login_addresses.last_success_at')
            .where('agents.email', '=', email.trim().toLowerCase())
            .where('agent_login_addresses.address', '=', address)
            .where('agent_login_addresses.last_success_at', '>', t - limits.knownAddressMs)
            .executeTakeFirst();
          if (!known) return { retryAt: byAccount.window_start + limits.windowMs };
        }
        const pair = row(keys.pair);
        const pairFailures = pair && t - pair.last_at < limits.forgetAfterMs ? pair.failures : 0;
        if (pair && pairFailures > 0 && t < pair.last_at + delayAfter(pairFailures))
          return { retryAt: pair.last_at + delayAfter(pairFailures) };
        // Counted before the password is checked; settle() takes it back on success.
        for (const [key, existing, windowed] of [
          [keys.pair, pair, false],
          [keys.address, row(keys.address), true],
          [keys.account, row(keys.account), true],
        ] as const) {
          const expired =
            existing && (windowed ? t - existing.window_start >= limits.windowMs : t - existing.last_at >= limits.forgetAfterMs);
          await tx
            .insertInto('login_throttle')
            .values({ key, failures: 1, window_start: t, last_at: t })
            .onConflict((oc) =>
              oc
                .column('key')
                .doUpdateSet(
                  expired
                    ? { failures: 1, window_start: t, last_at: t }
                    : (eb) => ({ failures: eb('login_throttle.failures', '+', 1), last_at: t }),
                ),
            )
            .execute();
        }
        return null;
      });
      if (t - lastSweep > 10 * 60_000) {
        lastSweep = t;
        await db
          .deleteFrom('login_throttle')
          .where('last_at', '<', t - Math.max(limits.forgetAfterMs, limits.windowMs))
          .execute();
      }
      if (verdict) return { allowed: false, retryAfterMs: Math.max(1, verdict.retryAt - t) };
      return {
        allowed: true,
        async settle(outcome) {
          if (!outcome) return;
          const at = now();
          await db.transaction().execute(async (tx) => {
            await tx.deleteFrom('login_throttle').where('key', '=', keys.pair).execute();
            await tx
              .updateTable('login_throttle')
              .set((eb) => ({ failures: eb('failures', '-', 1) }))
              .where('key', 'in', [keys.address, keys.account])
              .where('failures', '>', 0)
              .execute();
            await tx
              .insertInto('agent_login_addresses')
              .values({ agent_id: outcome.agentId, address, last_success_at: at })
              .onConflict((oc) => oc.columns(['agent_id', 'address']).doUpdateSet({ last_success_at: at }))
              .execute();
          });
        },
      };
    },
    async clearAccount(email) {
      const account = sha(email.trim().toLowerCase());
      await db
        .deleteFrom('login_throttle')
        .where((eb) => eb.or([eb('key', '=', `c:${account}`), eb('key', 'like', `p:${account}:%`)]))
        .execute();
    },
  };
}
