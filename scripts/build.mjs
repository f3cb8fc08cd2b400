#!/usr/bin/env node
// Builds what `npm start`, `npm test` and the benchmarks run: shared + server (tsc -b), the widget
// and the console (vite), then their .br/.gz variants (precompress.mjs). With --if-stale it does
// nothing when no source is newer than the last build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { precompress } from './precompress.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'server', 'dist', '.build-stamp');
const sources = [
  'shared/src',
  'server/src',
  'widget/src',
  'server/console',
  'shared/tsconfig.json',
  'server/tsconfig.json',
  'widget/vite.config.ts',
  'scripts/precompress.mjs',
  'tsconfig.base.json',
  'package-lock.json',
];

function newest(path) {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(full)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

const upToDate = () => existsSync(stamp) && Math.max(...sources.map(newest)) <= statSync(stamp).mtimeMs;
if (process.argv.includes('--if-stale') && upToDate()) process.exit(0);

// One build at a time (`npm start` in one terminal and `npm test` or `npm run typecheck` in another
// would otherwise write the same dist/ folders at once): a lock folder holding the builder's pid. A
// lock whose process is gone is taken over; a second builder waits and then rechecks staleness.
const lock = join(root, 'server', '.build-lock');
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
mkdirSync(dirname(lock), { recursive: true });
for (;;) {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    break;
  } catch {
    let owner = 0;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // Just created, its pid not written yet: wait like for a live builder.
    }
    if (owner && !alive(owner)) rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}
const release = () => rmSync(lock, { recursive: true, force: true });
process.on('exit', release);
if (process.argv.includes('--if-stale') && upToDate()) process.exit(0);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build failed: ${cmd} ${args.join(' ')}`);
    process.exit(r.status ?? 1);
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', name);
run(bin('tsc'), ['-b']);
if (existsSync(join(root, 'widget', 'vite.config.ts')))
  run(bin('vite'), ['build', '--config', 'widget/vite.config.ts', '--logLevel', 'warn']);
if (existsSync(join(root, 'server', 'console', 'vite.config.ts')))
  run(bin('vite'), ['build', '--config', 'server/console/vite.config.ts', '--logLevel', 'warn']);
// Static files go out precompressed (br and gzip), chosen per request by Accept-Encoding.
for (const dir of ['widget/dist', 'server/console/dist']) precompress(join(root, dir));
mkdirSync(dirname(stamp), { recursive: true });
writeFileSync(stamp, new Date().toISOString() + '\n');
