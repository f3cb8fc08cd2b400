// Each site's FAQ files, kept in the database so that every instance answers from the same FAQ.
//
// The files still live in DATA_DIR/faq/SITE, where the bot reads and watches them (hot reload) and
// where a site owner may edit them by hand; the database holds the copy every instance agrees on.
// Both ways, by content: a file changed on disk (by hand, or by the console's FAQ editor on this
// instance) is written to the database and announced; a file changed in the database (through
// another instance) is written to disk here, and the bot reloads it. Each side remembers the
// content it last exchanged, so an unchanged file is never copied back over a newer one. The
// database side wins a tie: an edit through the console (written to the database at once) is not
// overwritten by a stale disk copy.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';
import type { Hub } from '../pubsub/hub.js';
import type { Logger } from '../core/logger.js';

const FAQ_FILE = /\.(md|ya?ml)$/i;
const SITE_KEY = /^[A-Za-z0-9_-]{1,64}$/;
const CHANNEL = 'faq';

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

export interface FaqSyncOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  /** DATA_DIR/faq. */
  faqDir: string;
  hub: Hub;
  logger?: Logger | undefined;
  now?: () => number;
  /** How often disk and database are compared (news through the hub makes it sooner). */
  intervalMs?: number;
}

export type FaqSync = ReturnType<typeof createFaqSync>;

export function createFaqSync({ db, dialect, faqDir, hub, logger, now = Date.now, intervalMs = 2000 }: FaqSyncOptions) {
  /** `site/file` → the content last exchanged between disk and database. */
  const known = new Map<string, string>();
  let timer: NodeJS.Timeout | null = null;

  async function diskFiles(): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    let sites: string[];
    try {
      sites = (await readdir(faqDir)).filter((s) => SITE_KEY.test(s));
    } catch {
      return files;
    }
    for (const site of sites) {
      let names: string[];
      try {
        names = (await readdir(join(faqDir, site))).filter((f) => FAQ_FILE.test(f));
      } catch {
        continue;
      }
      for (const name of names) {
        try {
          files.set(`${site}/${name}`, await readFile(join(faqDir, site, name), 'utf8'));
        } catch {
          // Gone since the listing.
        }
      }
    }
    return files;
  }

  /** Writes a file to the database (and remembers it); other instances hear of the site. */
  async function store(site: string, name: string, text: string): Promise<void> {
    await db
      .insertInto('faq_files')
      .values({ site_key: site, name, text, updated_at: now() })
      .onConflict((oc) => oc.columns(['site_key', 'name']).doUpdateSet({ text, updated_at: now() }))
      .execute();
    known.set(`${site}/${name}`, hashOf(text));
  }

  async function syncOnce(): Promise<void> {
    const disk = await diskFiles();
    const rows = await db.selectFrom('faq_files').select(['site_key', 'name', 'text']).execute();
    const stored = new Map(rows.map((r) => [`${r.site_key}/${r.name}`, r.text]));
    const announce = new Set<string>();
    // The database wins where it changed since the last exchange; the disk where only it changed.
    for (const [path, text] of stored) {
      const [site, name] = path.split('/') as [string, string];
      const last = known.get(path);
      const onDisk = disk.get(path);
      if (onDisk !== undefined && hashOf(onDisk) === hashOf(text)) {
        known.set(path, hashOf(text));
        continue;
      }
      if (last !== undefined && last === hashOf(text) && onDisk !== undefined) {
        // Only the disk changed (a hand edit, the editor here): up to the database.
        await store(site, name, onDisk);
        announce.add(site);
        continue;
      }
      if (last !== undefined && last === hashOf(text) && onDisk === undefined) {
        // Deleted here by hand: deleted everywhere.
        await db.deleteFrom('faq_files').where('site_key', '=', site).where('name', '=', name).execute();
        known.delete(path);
        announce.add(site);
        continue;
      }
      // New or changed in the database (another instance): down to the disk.
      await mkdir(join(faqDir, site), { recursive: true });
      await writeFile(join(faqDir, site, name), text, 'utf8');
      known.set(path, hashOf(text));
    }
    for (const [path, text] of disk) {
      if (stored.has(path)) continue;
      const [site, name] = path.split('/') as [string, string];
      if (known.has(path)) {
        // Deleted in the database (another instance): deleted here too.
        await rm(join(faqDir, site, name), { force: true });
        known.delete(path);
      } else {
        // New on disk (copied in by hand, or the first start's example FAQ): up to the database.
        await store(site, name, text);
        announce.add(site);
      }
    }
    for (const site of announce) hub.broadcast(CHANNEL, { site });
  }

  // Passes and edits take turns on one chain: a pass never reads an edit's files half written, and
  // a pass asked for while one waits its turn is that one.
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<void> | null = null;
  function inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn, fn);
    chain = next.catch(() => {});
    return next;
  }

  /** Compares disk and database now. */
  function sync(): Promise<void> {
    queued ??= inTurn(async () => {
      queued = null;
      try {
        await syncOnce();
      } catch (err) {
        logger?.warn({ err }, 'FAQ sync failed; retried at the next pass');
      }
    });
    return queued;
  }

  const offNews = hub.onBroadcast(CHANNEL, () => void sync());
  const offResync = hub.onResync(() => void sync());

  return {
    sync,
    /** The first exchange (before the bots load the files), then one every intervalMs. */
    async start(): Promise<void> {
      await sync();
      timer = setInterval(() => void sync(), intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      offNews();
      offResync();
      await chain;
    },
    /**
     * Runs an edit of a site's files alone across instances (PostgreSQL: an advisory lock for the
     * site, held in a transaction), on the latest files, and stores what it wrote before the lock is
     * released.
     */
    exclusive<T>(site: string, edit: () => Promise<T>): Promise<T> {
      const run = async () => {
        await syncOnce();
        const result = await edit();
        await syncOnce();
        return result;
      };
      return inTurn(() =>
        dialect === 'postgres'
          ? db.transaction().execute(async (tx) => {
              await sql`select pg_advisory_xact_lock(hashtext(${`servus-faq:${site}`}))`.execute(tx);
              return run();
            })
          : run(),
      );
    },
  };
}
