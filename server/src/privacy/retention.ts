// Retention (GDPR Art. 5): per site, conversations and visitor data older than `privacy.retentionDays`
// are erased by a durable job (one per site, any instance runs it, daily), and each run is written to
// the audit log, where the console reads the last one. A job of the same kind for the whole server
// (key `*audit`, daily) applies the audit log's own period (AUDIT_RETENTION_DAYS) and removes
// visitors' erasure requests a day after they expired.
import type { Jobs } from '../jobs/jobs.js';
import type { Logger } from '../core/logger.js';
import type { SiteDirectory } from '../sites/sites.js';
import type { AuditLog } from './audit.js';
import type { Privacy } from './privacy.js';

export const RETENTION_JOB = 'privacy.retention';
/** The key of the audit log's own pass (sites are keyed by their key, which is never this). */
export const AUDIT_RETENTION_KEY = '*audit';
const DAY = 86_400_000;

export interface RetentionOptions {
  jobs: Jobs;
  sites: SiteDirectory;
  privacy: Privacy;
  audit: AuditLog;
  logger?: Logger | undefined;
  now?: () => number;
  /** Time between two passes of a site (default a day). */
  intervalMs?: number;
  /** Days the audit log keeps an entry; 0 or unset: kept for ever. */
  auditDays?: number;
}

export type Retention = ReturnType<typeof createRetention>;

export function createRetention({
  jobs,
  sites,
  privacy,
  audit,
  logger,
  now = Date.now,
  intervalMs = DAY,
  auditDays = 0,
}: RetentionOptions) {
  const daysOf = async (siteKey: string) => {
    const days = (await sites.get(siteKey))?.settings.privacy?.retentionDays;
    return typeof days === 'number' && days > 0 ? days : null;
  };

  /** Runs one pass for a site now (the job does this; the CLI too). */
  async function run(siteKey: string, actor: { type: 'system' | 'cli'; name?: string } = { type: 'system' }) {
    const days = await daysOf(siteKey);
    if (days === null) return null;
    const result = await privacy.retentionPass(siteKey, days);
    await audit.record(actor, {
      action: 'retention.run',
      siteKey,
      detail: { days, conversations: result.conversations, visitors: result.visitors, cutoff: result.cutoff },
    });
    if (result.conversations || result.visitors) logger?.info({ siteKey, ...result }, 'retention pass erased old data');
    return result;
  }

  /** One pass over the audit log: entries older than its period go; the pass itself is the newest entry. */
  async function pruneAudit(): Promise<number> {
    const cutoff = now() - auditDays * DAY;
    const deleted = await audit.prune(cutoff);
    await audit.record({ type: 'system' }, { action: 'audit.retention', detail: { days: auditDays, deleted, cutoff } });
    if (deleted) logger?.info({ deleted, days: auditDays }, 'audit log retention deleted old entries');
    return deleted;
  }

  jobs.handle<null>(RETENTION_JOB, async (job) => {
    if (job.key === AUDIT_RETENTION_KEY) {
      // The server-wide daily pass: erasure requests a day past their expiry (they hold an address),
      // and the audit log's period when it has one.
      await privacy.dropExpiredRequests(now() - DAY);
      if (auditDays > 0) await pruneAudit();
      await jobs.schedule(RETENTION_JOB, AUDIT_RETENTION_KEY, now() + intervalMs, null);
      return;
    }
    const result = await run(job.key);
    // Off again: no next pass until the setting returns.
    if (result !== null) await jobs.schedule(RETENTION_JOB, job.key, now() + intervalMs, null);
  });

  /** Makes sure a site with a period has its pass pending (leaves an existing one alone). */
  async function ensure(siteKey: string): Promise<void> {
    if ((await daysOf(siteKey)) === null) return;
    if (!(await jobs.find(RETENTION_JOB, siteKey))) await jobs.schedule(RETENTION_JOB, siteKey, now(), null);
  }

  /** Makes sure the server-wide pass (the audit log, expired erasure requests) is pending. */
  async function ensureAudit(): Promise<void> {
    if (!(await jobs.find(RETENTION_JOB, AUDIT_RETENTION_KEY))) await jobs.schedule(RETENTION_JOB, AUDIT_RETENTION_KEY, now(), null);
  }

  return {
    run,
    ensure,
    ensureAudit,
    pruneAudit,
    /** Plans every site's pass and follows settings changes (on every instance; scheduling is idempotent). */
    async start(): Promise<() => void> {
      await ensureAudit();
      for (const key of await sites.keys()) await ensure(key);
      return sites.onChange(
        (key) => void ensure(key).catch((err: unknown) => logger?.error({ err, siteKey: key }, 'retention planning failed')),
      );
    },
    async status(siteKey: string) {
      const [days, last, job] = await Promise.all([
        daysOf(siteKey),
        audit.latest('retention.run', siteKey),
        jobs.find(RETENTION_JOB, siteKey),
      ]);
      return {
        retentionDays: days,
        lastRun: last
          ? { at: last.at, conversations: Number(last.detail.conversations ?? 0), visitors: Number(last.detail.visitors ?? 0) }
          : null,
        nextRunAt: job && job.failed_at === null ? job.run_at : null,
      };
    },
  };
}
