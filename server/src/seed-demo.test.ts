import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemo } from './seed-demo.js';
import { openDatabase } from './storage/db.js';
import { loadMetrics } from './metrics/query.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete process.env.DATA_DIR;
});

describe('npm run seed:demo', () => {
  it('fills a database with conversations that give every metric a value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-seed-'));
    dirs.push(dir);
    process.env.DATA_DIR = dir;
    const count = await seedDemo({ days: 5, perDay: 10, log: () => {} });
    expect(count).toBeGreaterThan(20);
    const { db, close } = await openDatabase({ dataDir: dir });
    const report = await loadMetrics(db, {
      siteKeys: ['demo'],
      from: 0,
      to: Date.now(),
      groupBy: 'agent',
      serviceLevel: { firstResponseSeconds: 60 },
    });
    await close();
    const s = report.summary;
    expect(s.conversations).toBe(count);
    expect(s.handoffs).toBeGreaterThan(0);
    expect(s.botContainment).toBeGreaterThan(0);
    expect(s.firstHumanResponseSeconds.count).toBe(s.handoffs);
    expect(s.csat.count).toBeGreaterThan(0);
    expect(s.nps.count).toBeGreaterThan(0);
    // Two handoff reasons: the visitor asked, and the bot was unsure twice.
    expect(Object.keys(s.handoffReasons).sort()).toEqual(['low_confidence', 'visitor_request']);
    // The demo greeting was shown, sometimes opened, and led to conversations.
    const [rule] = report.proactive;
    expect(rule).toMatchObject({ siteKey: 'demo', ruleId: 'demo-shipping', urlPattern: '/demo*' });
    expect(rule!.shown).toBeGreaterThan(rule!.opened);
    expect(rule!.opened).toBeGreaterThan(0);
    expect(rule!.conversations).toBe(rule!.opened);
    // Three demo agents share the handled conversations.
    expect(report.groups.filter((g) => g.key !== 'none')).toHaveLength(3);
  });
});
