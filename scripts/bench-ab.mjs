// `npm run bench:ab -- <other checkout>`: this build (A) against another built checkout (B), e.g. a
// worktree of an older commit, on the closed loop of `npm run bench`. On a shared or virtual
// machine the CPU's speed drifts by tens of per cent from one minute to the next, more than most
// changes make, so both servers run side by side and the generator alternates between them in
// short windows (A B, B A, ...): each round's ratio compares two windows a few seconds apart.
// Both servers are pinned to one core and the generator to the other (taskset, when there is one),
// and both are driven by this checkout's load generator. Before the rounds each server gets the
// latency phase's open conversations (`--open`, as `npm run bench` leaves them).
//
//   npm run bench:ab -- ../base [--rounds=8] [--seconds=3] [--open=2000]
//
// Prints each round, then the median A/B ratio and its range, and one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = resolve(fileURLToPath(new URL('..', import.meta.url)));
const other = process.argv.slice(2).find((a) => !a.startsWith('--'));
const option = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const rounds = option('rounds', 8);
const seconds = option('seconds', 3);
const open = option('open', 2000);
if (!other || !existsSync(join(other, 'server/dist/main.js'))) {
  console.error('usage: npm run bench:ab -- <another built checkout> [--rounds=8] [--seconds=3] [--open=2000]');
  process.exit(2);
}
// The server's settings and the load generator of `npm run bench`, from this checkout's build.
const { BENCH_ADMIN, benchServerEnv } = await import(pathToFileURL(join(here, 'server/dist/bench/servus-env.js')).href);
const { SERVER_NODE_FLAGS } = await import(pathToFileURL(join(here, 'server/dist/core/node-flags.js')).href);
const loadJs = join(here, 'server/dist/bench/load.js');
const pinned = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const onCore = (core, args) => (pinned ? ['taskset', ['-c', core, process.execPath, ...args]] : [process.execPath, args]);
const children = new Set();

async function startServer(checkout) {
  const dataDir = mkdtempSync(join(tmpdir(), 'servus-ab-'));
  const child = spawn(...onCore('0', [...SERVER_NODE_FLAGS, join(checkout, 'server/dist/main.js')]), {
    env: { ...process.env, ...benchServerEnv(dataDir) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const url = await new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /Health:\s+(http:\/\/[^/\s]+)\/healthz/.exec(out);
      if (m) res(m[1]);
    });
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => rej(new Error(`${checkout}: the server exited with ${code}:\n${out.slice(-2000)}`)));
  });
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify(BENCH_ADMIN),
  });
  return { child, dataDir, url, cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] };
}

function load(args) {
  return new Promise((res, rej) => {
    const c = spawn(...onCore('1', [loadJs, JSON.stringify(args)]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.once('close', (code) => {
      try {
        if (code !== 0) throw new Error();
        const result = JSON.parse(out.trim().split('\n').at(-1));
        if (result.errors) throw new Error(`the server refused ${result.errors} bench messages`);
        res(result);
      } catch (err) {
        rej(new Error(`load generator failed (${code}): ${err.message}\n${out.slice(-2000)}`));
      }
    });
  });
}

try {
  const servers = { A: await startServer(here), B: await startServer(resolve(other)) };
  if (open > 0)
    for (const s of Object.values(servers))
      await load({ target: 'servus', url: s.url, mode: 'latency', conversations: open, rate: 2000, seconds: 4, cookie: s.cookie });
  const ratios = [];
  const figures = { A: [], B: [] };
  for (let i = 0; i < rounds; i++) {
    for (const name of i % 2 ? ['B', 'A'] : ['A', 'B']) {
      const s = servers[name];
      const r = await load({ target: 'servus', url: s.url, mode: 'throughput', conversations: 500, seconds, window: 8, cookie: s.cookie });
      figures[name].push(r.msgs_per_s);
    }
    ratios.push(figures.A[i] / figures.B[i]);
    console.log(`round ${i + 1}: A ${figures.A[i]} msgs/s, B ${figures.B[i]} msgs/s, A/B ${ratios[i].toFixed(3)}`);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const round3 = (x) => Math.round(x * 1000) / 1000;
  console.log(
    `A/B median ${median.toFixed(3)}, range ${sorted[0].toFixed(3)}–${sorted.at(-1).toFixed(3)} (${pinned ? 'pinned' : 'not pinned'})`,
  );
  console.log(
    JSON.stringify({
      rounds,
      seconds,
      open,
      pinned,
      a_msgs_per_s: figures.A,
      b_msgs_per_s: figures.B,
      ratio_median: round3(median),
      ratio_min: round3(sorted[0]),
      ratio_max: round3(sorted.at(-1)),
    }),
  );
  for (const s of Object.values(servers)) {
    s.child.kill('SIGTERM');
    await new Promise((r) => (s.child.exitCode !== null ? r() : s.child.once('exit', r)));
    rmSync(s.dataDir, { recursive: true, force: true });
  }
} catch (err) {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}
