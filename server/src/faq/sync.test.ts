// Two instances' FAQ folders kept equal through one database: a file written, changed or deleted in
// either folder reaches the other, and an unchanged stale copy never overwrites a newer file.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeDatabasesAfterEach, openTestDatabase } from '../testing/databases.js';
import { createLocalHub } from '../pubsub/hub.js';
import { createFaqSync } from './sync.js';

closeDatabasesAfterEach();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'servus-faq-'));
  dirs.push(dir);
  return dir;
}

describe.each(['sqlite', 'postgres'] as const)('FAQ files across instances (%s)', (dialect) => {
  it('copies new, changed and deleted files from one instance’s folder to the other’s', async () => {
    const { db } = await openTestDatabase(dialect);
    const hub = createLocalHub();
    const [one, two] = [folder(), folder()];
    const syncOne = createFaqSync({ db, dialect, faqDir: one, hub });
    const syncTwo = createFaqSync({ db, dialect, faqDir: two, hub });
    mkdirSync(join(one, 'demo'));
    writeFileSync(join(one, 'demo', 'shop.en.md'), '## Shipping?\n\nFree.\n');
    await syncOne.sync();
    await syncTwo.sync();
    expect(readFileSync(join(two, 'demo', 'shop.en.md'), 'utf8')).toBe('## Shipping?\n\nFree.\n');

    writeFileSync(join(two, 'demo', 'shop.en.md'), '## Shipping?\n\nFree from €50.\n');
    await syncTwo.sync();
    await syncOne.sync();
    expect(readFileSync(join(one, 'demo', 'shop.en.md'), 'utf8')).toBe('## Shipping?\n\nFree from €50.\n');

    unlinkSync(join(one, 'demo', 'shop.en.md'));
    await syncOne.sync();
    await syncTwo.sync();
    expect(existsSync(join(two, 'demo', 'shop.en.md'))).toBe(false);
    expect(await db.selectFrom('faq_files').selectAll().execute()).toEqual([]);
  });

  it('takes the database’s newer file over an unchanged local copy, and runs editor edits alone', async () => {
    const { db } = await openTestDatabase(dialect);
    const hub = createLocalHub();
    const [one, two] = [folder(), folder()];
    const syncOne = createFaqSync({ db, dialect, faqDir: one, hub });
    const syncTwo = createFaqSync({ db, dialect, faqDir: two, hub });
    mkdirSync(join(one, 'demo'));
    writeFileSync(join(one, 'demo', 'faq.md'), 'v1');
    await syncOne.sync();
    await syncTwo.sync();
    // Instance two edits through the editor path; instance one still holds v1, unchanged.
    await syncTwo.exclusive('demo', async () => writeFileSync(join(two, 'demo', 'faq.md'), 'v2'));
    expect((await db.selectFrom('faq_files').select('text').executeTakeFirstOrThrow()).text).toBe('v2');
    await syncOne.sync();
    expect(readFileSync(join(one, 'demo', 'faq.md'), 'utf8')).toBe('v2');
    // Two edits at once on two instances (PostgreSQL: several instances share one only there): each
    // sees the other's result, none is lost.
    if (dialect !== 'postgres') return;
    await Promise.all([
      syncOne.exclusive('demo', async () =>
        writeFileSync(join(one, 'demo', 'faq.md'), `${readFileSync(join(one, 'demo', 'faq.md'), 'utf8')}+one`),
      ),
      syncTwo.exclusive('demo', async () =>
        writeFileSync(join(two, 'demo', 'faq.md'), `${readFileSync(join(two, 'demo', 'faq.md'), 'utf8')}+two`),
      ),
    ]);
    const text = (await db.selectFrom('faq_files').select('text').executeTakeFirstOrThrow()).text;
    expect(['v2+one+two', 'v2+two+one']).toContain(text);
  });
});
