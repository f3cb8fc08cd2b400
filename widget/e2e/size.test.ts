// The size budgets, checked on every test run (the same numbers `npm run size` prints with
// size-limit): gzip level 9 per file, summed; 1 kB = 1000 bytes.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { distFiles, ensureBuilt } from './dist.js';

const gz = (...files: string[]) => files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);

describe('widget size budgets', () => {
  beforeAll(() => ensureBuilt());

  it('loads at most 3 kB gzip on every page view (the loader)', () => {
    expect(gz(distFiles().loader)).toBeLessThanOrEqual(3000);
  });

  it('loads at most 20 kB gzip in all for a visitor who opens it and chats (loader, app, styles, the larger language)', () => {
    const f = distFiles();
    const worst = Math.max(gz(f.de), gz(f.en));
    expect(gz(f.loader, f.entry) + worst).toBeLessThanOrEqual(20_000);
  });

  it('keeps the on-demand chunks small (forms 4.5 kB, proactive greeting 1.5 kB, the JS API 1 kB)', () => {
    const f = distFiles();
    expect(gz(f.forms)).toBeLessThanOrEqual(4500);
    expect(gz(f.proactive)).toBeLessThanOrEqual(1500);
    expect(gz(f.hostApi)).toBeLessThanOrEqual(1000);
  });
});
