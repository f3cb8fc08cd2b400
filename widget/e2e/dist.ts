// The built widget the tests run against: built once if missing or older than its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const widgetRoot = fileURLToPath(new URL('..', import.meta.url));
export const distDir = join(widgetRoot, 'dist');
const repoRoot = join(widgetRoot, '..');

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

export function ensureBuilt(): void {
  const loader = join(distDir, 'widget.js');
  const stale = !existsSync(loader) || newest(join(widgetRoot, 'src')) > statSync(loader).mtimeMs;
  if (!stale) return;
  const r = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'vite'),
    ['build', '--config', 'widget/vite.config.ts', '--logLevel', 'warn'],
    // vitest sets NODE_ENV=test, and Vite would build with it: Preact's debug paths and 2.5 KB more gzip.
    { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
  );
  if (r.status !== 0) throw new Error('widget build failed');
  // The server sends the .br/.gz variants the full build writes; without them every test would measure uncompressed bytes.
  const p = spawnSync(process.execPath, ['scripts/precompress.mjs', 'widget/dist'], { cwd: repoRoot, stdio: 'inherit' });
  if (p.status !== 0) throw new Error('widget precompression failed');
}

/** Files of the build by role, e.g. the app chunk (Preact, styles, Markdown: the entry) and one language. */
export function distFiles(): {
  loader: string;
  entry: string;
  de: string;
  en: string;
  forms: string;
  proactive: string;
  hostApi: string;
} {
  const chunks = readdirSync(join(distDir, 'widget'));
  const pick = (prefix: string) => {
    const f = chunks.find((c) => c.startsWith(prefix + '-') && c.endsWith('.js'));
    if (!f) throw new Error(`no ${prefix} chunk in widget/dist/widget: ${chunks.join(', ')}`);
    return join(distDir, 'widget', f);
  };
  return {
    loader: join(distDir, 'widget.js'),
    entry: pick('app'),
    de: pick('strings-de'),
    en: pick('strings-en'),
    forms: pick('Forms'),
    proactive: pick('proactive'),
    hostApi: pick('host-api'),
  };
}
