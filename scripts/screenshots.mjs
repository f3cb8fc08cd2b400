#!/usr/bin/env node
// Rewrites the pictures in docs/screenshots/ from the real product: the console on a desktop and on
// a phone and the widget on a desktop page and a phone (server/console/e2e/console-screenshots),
// on a demo server seeded with two weeks of conversations plus visitors waiting live, and the
// dashboard (its e2e test, on 30 days of demo data). Then, when `pngquant` is installed
// (`apt-get install pngquant`), it reduces them to 256-colour PNGs, about a third of the bytes.
// `--widget` also runs the widget's e2e files for widget-rating-en.png and widget-zoom-200-en.png.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shots = join(root, 'docs', 'screenshots');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');

function run(args, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const started = Date.now();
run([join(root, 'scripts', 'build.mjs'), '--if-stale']);
run([vitest, 'run', '--project', 'console', 'e2e/console-screenshots.e2e.test.ts'], { SCREENSHOTS: '1' });
run([vitest, 'run', '--project', 'console', 'src/dashboard/dashboard.e2e.test.ts'], { DASHBOARD_SCREENSHOT: join(shots, 'dashboard.png') });
if (process.argv.includes('--widget')) {
  run([vitest, 'run', '--project', 'widget-e2e', 'e2e/widget.e2e.test.ts', 'e2e/host-pages.e2e.test.ts'], { SCREENSHOTS: '1' });
}

// Only the pictures this run wrote; the others keep the bytes they have.
const written = readdirSync(shots)
  .filter((f) => f.endsWith('.png') && statSync(join(shots, f)).mtimeMs >= started)
  .map((f) => join(shots, f));
const hasPngquant = spawnSync('pngquant', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPngquant) {
  console.log(`screenshots: ${written.length} written, not reduced (pngquant is not installed)`);
} else {
  // Lossy but faithful for flat UI colours; a picture that would lose too much stays as it is (exit 99).
  const before = written.reduce((n, f) => n + statSync(f).size, 0);
  for (const file of written) {
    const r = spawnSync(
      'pngquant',
      ['--force', '--skip-if-larger', '--strip', '--speed', '1', '--quality', '70-95', '--ext', '.png', file],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0 && r.status !== 98 && r.status !== 99) process.exit(r.status ?? 1);
  }
  const after = written.reduce((n, f) => n + statSync(f).size, 0);
  console.log(`screenshots: ${written.length} written, ${Math.round(before / 1024)} KiB reduced to ${Math.round(after / 1024)} KiB`);
}
