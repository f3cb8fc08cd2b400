// `npm run bench`: Servus (fresh SQLite, every message persisted before its ack) against a bare ws
// relay measured in the same run with the same load generator, each in its own process.
// Prints a table and, last, one JSON line. --quick runs a small version (for the test).
// --postgres: the closed-loop maximum of one instance on SQLite, one on PostgreSQL, and two on
// PostgreSQL + a private Redis (half the conversations spanning both), in one run.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { SERVER_NODE_FLAGS } from '../core/node-flags.js';
import pg from 'pg';
import { startPrivateRedis } from '../testing/redis-server.js';
import { withApplicationName } from '../testing/cluster.js';
import { BENCH_ADMIN as ADMIN, benchServerEnv } from './servus-env.js';
import { coresBusy, perThousand, startCpuMeter, type CpuReport, type ProcessGroups } from './cpu.js';

const quick = process.argv.includes('--quick');
const postgres = process.argv.includes('--postgres');
/** --only=sqlite,pg,pg2: some of the --postgres phases (while working on one; the JSON then lacks the others). */
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const phase = (name: string) => !only || only.includes(name);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** --trace: the generator logs each setup batch's step timings and requests against acks (stderr). */
const trace = process.argv.includes('--trace');
const P = quick
  ? { conversations: 50, rate: 200, seconds: 1, throughputConversations: 50, idle: 200 }
  : { conversations: 2000, rate: 2000, seconds: 8, throughputConversations: 500, idle: 10_000 };
const dist = fileURLToPath(new URL('../', import.meta.url));

/** Every process this run started: a failed run must not leave servers behind holding CPU and sockets. */
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function start(
  cmd: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  const child = track(spawn(process.execPath, cmd, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ child, match: m, output: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`${cmd.join(' ')} exited with ${code}:\n${out.slice(-2000)}`)));
  });
}

/**
 * A load generator's figures; with `cpu` given, also `cpu_ROLE`: each role's CPU-ms per 1,000
 * messages delivered in the measured window (cpu.ts).
 */
type LoadResult = Record<string, number>;

/** Write batches and the operations in them so far, summed over the servers (their /healthz). */
async function writeStats(urls: string[]): Promise<{ batches: number; ops: number }> {
  const all = await Promise.all(
    urls.map(async (url) => ((await (await fetch(`${url}/healthz`)).json()) as { writes: { batches: number; ops: number } }).writes),
  );
  return { batches: all.reduce((n, w) => n + w.batches, 0), ops: all.reduce((n, w) => n + w.ops, 0) };
}

function load(
  args: object,
  { allowErrors = false, cpu, servers = [] }: { allowErrors?: boolean; cpu?: ProcessGroups; servers?: string[] } = {},
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [join(dist, 'bench', 'load.js'), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let out = '';
    let meter: ReturnType<typeof startCpuMeter> | undefined;
    let report: Promise<CpuReport> | undefined;
    let writesBefore: Promise<{ batches: number; ops: number }> | undefined;
    let writesAfter: typeof writesBefore;
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (trace) process.stderr.write(d);
      if (!cpu) return;
      // The generator's own process counts too (its cost differs with the number of instances it talks to).
      const groups = async () => ({ ...(await cpu()), generator: [child.pid!] });
      if (!meter && out.includes('MEASURE start')) {
        meter = startCpuMeter(groups);
        writesBefore = writeStats(servers);
      }
      if (meter && !report && out.includes('MEASURE end')) {
        report = meter.then((m) => m.stop());
        writesAfter = writeStats(servers);
      }
    });
    // 'close', not 'exit': every line the generator wrote has been read by then.
    child.once('close', async (code) => {
      const used = await report?.catch(() => undefined);
      // Operations per write batch in the window, over all servers (fewer per batch: each costs more).
      const [w0, w1] = await Promise.all([writesBefore?.catch(() => undefined), writesAfter?.catch(() => undefined)]);
      const batching: Record<string, number> =
        w0 && w1 && w1.batches > w0.batches ? { batch_ops: Math.round((w1.ops - w0.ops) / (w1.batches - w0.batches)) } : {};
      const line = out.trim().split('\n').at(-1) ?? '';
      let result: Record<string, number> & { first_error?: string };
      try {
        if (code !== 0) throw new Error();
        result = JSON.parse(line) as typeof result;
      } catch {
        reject(new Error(`load generator failed (${code}):\n${out.slice(-2000)}`));
        return;
      }
      // A refused message stalls its slot in the closed loop: the figures would be wrong, not low.
      if (result.errors && !allowErrors)
        reject(new Error(`the server refused ${result.errors} bench messages, first: ${result.first_error}`));
      else {
        const cpuFigures: Record<string, number> = used
          ? { ...perThousand(used, result.delivered ?? 0), ...coresBusy(used), ...batching }
          : {};
        const { first_error: _, ...figures } = result;
        resolve({ ...figures, ...Object.fromEntries(Object.entries(cpuFigures).map(([role, ms]) => [`cpu_${role}`, ms])) });
      }
    });
  });
}

/** Opens idle sockets in a generator process and returns the server's RSS growth per socket. */
async function idleRss(serverPid: number, target: 'servus' | 'bare', url: string, n: number): Promise<number> {
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))?.[1] ?? 0);
  await new Promise((r) => setTimeout(r, 500));
  const before = rss();
  const child = track(
    spawn(process.execPath, [join(dist, 'bench', 'load.js'), JSON.stringify({ target, url, mode: 'idle', conversations: n })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('"idle"') && resolve());
    child.once('exit', (code) => reject(new Error(`idle generator exited with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 1500));
  const after = rss();
  child.kill('SIGKILL');
  return Math.round(((after - before) / n) * 10) / 10;
}

const stop = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null ? r() : (c.once('exit', () => r()), c.kill('SIGTERM'))));

/** Servus on a fresh data folder, limits raised for one machine playing thousands of visitors. */
async function startServus(
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; dataDir: string; url: string; output: () => string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'servus-bench-'));
  // --cpu-prof: each server writes a CPU profile (.cpuprofile) to SERVUS_BENCH_PROFILES or the temp folder on exit.
  const profile = process.argv.includes('--cpu-prof')
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SERVUS_BENCH_PROFILES ?? join(tmpdir(), 'servus-bench-profiles')}`]
    : [];
  const servus = await start(
    [...SERVER_NODE_FLAGS, ...profile, join(dist, 'main.js')],
    { ...benchServerEnv(dataDir), ...env },
    /Health:\s+(http:\/\/[^/\s]+)\/healthz/,
  );
  return { ...servus, dataDir, url: servus.match[1]! };
}

async function loginCookie(url: string): Promise<string> {
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify(ADMIN),
  });
  return (login.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** Batches that failed with a deadlock, from an instance's log (warn level). */
const deadlocks = (output: string) => (output.match(/40P01|deadlock detected/g) ?? []).length;

/**
 * --rounds=N (3 by default, 1 with --quick): how many times each setup is measured. The host's
 * speed drifts by tens of per cent from one minute to the next, more than the targets' margins, so
 * every setup runs from the start and the rounds alternate between them (SQLite, PostgreSQL, two
 * instances; then the other way round): each round's ratios compare windows a few seconds apart.
 */
const rounds = Math.max(1, Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? (quick ? 1 : 3)));

/**
 * The closed-loop maximum on SQLite, on PostgreSQL, and on two PostgreSQL instances sharing a
 * private Redis, each measured `rounds` times in alternation. Each PostgreSQL setup gets a schema
 * of its own (never dropped: another test's migration may be listing the database's tables at that
 * moment).
 */
async function mainPostgres(): Promise<void> {
  const throughput = (
    url: string,
    cookie: string,
    cpu: ProcessGroups,
    extra: { url2?: string; spanning?: boolean } = {},
    allowErrors = false,
  ) =>
    load(
      {
        target: 'servus',
        url,
        mode: 'throughput',
        conversations: P.throughputConversations,
        seconds: P.seconds,
        window: 8,
        cookie,
        trace,
        ...extra,
      },
      { allowErrors, cpu, servers: [url, ...(extra.url2 ? [extra.url2] : [])] },
    );
  const schema = () => `bench_${randomBytes(6).toString('hex')}`;
  // Each setup's PostgreSQL connections carry its schema as their application_name, so their
  // backends' CPU time can be told from other work on the same PostgreSQL.
  const pgBackends = async (name: string) => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name]);
      return rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };
  const onPostgres = (name: string) => ({ DATABASE_URL: withApplicationName(DATABASE_URL, name), DATABASE_SCHEMA: name });

  /** A setup: started once, measured once a round. */
  interface Setup {
    name: 'sqlite' | 'pg' | 'pg2';
    measure: () => Promise<LoadResult>;
    deadlocks: () => number;
    close: () => Promise<void>;
  }
  const setups: Setup[] = [];
  const closeAll = async () => {
    for (const s of setups) await s.close();
  };
  try {
    if (phase('sqlite')) {
      const sqlite = await startServus();
      const cookie = await loginCookie(sqlite.url);
      setups.push({
        name: 'sqlite',
        measure: () => throughput(sqlite.url, cookie, () => ({ server: [sqlite.child.pid!] })),
        deadlocks: () => 0,
        close: async () => {
          await stop(sqlite.child);
          rmSync(sqlite.dataDir, { recursive: true, force: true });
        },
      });
    }
    if (phase('pg')) {
      // --redis-one (for comparison): the one instance with a Redis of its own too.
      const ownRedis = process.argv.includes('--redis-one') ? await startPrivateRedis() : null;
      const name = schema();
      const one = await startServus({ ...onPostgres(name), ...(ownRedis ? { REDIS_URL: ownRedis.url } : {}) });
      const cookie = await loginCookie(one.url);
      setups.push({
        name: 'pg',
        measure: () =>
          throughput(one.url, cookie, async () => ({
            server: [one.child.pid!],
            postgres: await pgBackends(name),
            ...(ownRedis ? { redis: [ownRedis.pid()!] } : {}),
          })),
        deadlocks: () => deadlocks(one.output()),
        close: async () => {
          await stop(one.child);
          if (trace) process.stderr.write(one.output());
          rmSync(one.dataDir, { recursive: true, force: true });
          await ownRedis?.close();
        },
      });
    }
    if (phase('pg2')) {
      const redis = await startPrivateRedis();
      const name = schema();
      const shared = { ...onPostgres(name), REDIS_URL: redis.url };
      // The first instance migrates and seeds; the second starts on the finished schema.
      const a = await startServus(shared);
      const b = await startServus({ ...shared, SEED_DEMO: 'false' });
      const cookie = await loginCookie(a.url);
      // --no-span (for comparison): every conversation on one instance, half on each.
      const spanning = !process.argv.includes('--no-span');
      setups.push({
        name: 'pg2',
        measure: () =>
          throughput(
            a.url,
            cookie,
            async () => ({ server: [a.child.pid!], server2: [b.child.pid!], postgres: await pgBackends(name), redis: [redis.pid()!] }),
            { url2: b.url, spanning },
            true,
          ),
        deadlocks: () => deadlocks(a.output()) + deadlocks(b.output()),
        close: async () => {
          await Promise.all([stop(a.child), stop(b.child)]);
          if (trace) process.stderr.write(a.output() + b.output());
          await redis.close();
          for (const dir of [a.dataDir, b.dataDir]) rmSync(dir, { recursive: true, force: true });
        },
      });
    }
    const measured = new Map<Setup['name'], LoadResult[]>(setups.map((s) => [s.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const setup of round % 2 ? [...setups].reverse() : setups) measured.get(setup.name)!.push(await setup.measure());
      if (rounds > 1) {
        const figures = setups.map((s) => `${s.name} ${measured.get(s.name)![round]!.msgs_per_s}`).join(', ');
        console.log(`round ${round + 1}: ${figures} msgs/s`);
      }
    }
    const deadlocksOf = (name: Setup['name']) => setups.find((s) => s.name === name)?.deadlocks() ?? 0;
    report(measured, deadlocksOf('pg'), deadlocksOf('pg2'));
  } finally {
    await closeAll();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round3 = (x: number) => Math.round(x * 1000) / 1000;

function report(measured: Map<string, LoadResult[]>, pg1Deadlocks: number, pg2Deadlocks: number): void {
  const none = Array.from({ length: rounds }, () => ({ msgs_per_s: 0, errors: 0 }) as LoadResult);
  const [sq, pg1, pg2] = (['sqlite', 'pg', 'pg2'] as const).map((name) => measured.get(name) ?? none) as [
    LoadResult[],
    LoadResult[],
    LoadResult[],
  ];
  // Per round: the ratio of two windows seconds apart; the median over the rounds, and the range.
  const ratios = (num: LoadResult[], den: LoadResult[]) => num.map((r, i) => r.msgs_per_s! / Math.max(1, den[i]!.msgs_per_s!));
  const pgVsSqlite = ratios(pg1, sq);
  const pg2VsPg = ratios(pg2, pg1);
  const maximum = (results: LoadResult[]) => Math.round(median(results.map((r) => r.msgs_per_s!)));
  const errors = (results: LoadResult[]) => results.reduce((n, r) => n + (r.errors ?? 0), 0);
  const results = {
    conversations: P.throughputConversations,
    rounds,
    sqlite_max_msgs_per_s: maximum(sq),
    pg_max_msgs_per_s: maximum(pg1),
    pg2_max_msgs_per_s: maximum(pg2),
    pg_vs_sqlite: round3(median(pgVsSqlite)),
    pg2_vs_pg: round3(median(pg2VsPg)),
    pg_vs_sqlite_range: [round3(Math.min(...pgVsSqlite)), round3(Math.max(...pgVsSqlite))],
    pg2_vs_pg_range: [round3(Math.min(...pg2VsPg)), round3(Math.max(...pg2VsPg))],
    pg_errors: errors(pg1),
    pg2_errors: errors(pg2),
    pg_deadlocks: pg1Deadlocks,
    pg2_deadlocks: pg2Deadlocks,
  };
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const range = (r: number[]) => (rounds > 1 ? `, rounds ${pct(r[0]!)}–${pct(r[1]!)}` : '');
  const row = (name: string, value: number | string, target: string) => `${name.padEnd(44)}${String(value).padStart(10)}   ${target}`;
  console.log(
    `\nServus on PostgreSQL${quick ? ' (quick)' : ''}: ${P.throughputConversations} conversations, closed loop, 8 in flight each, ` +
      `${rounds} round${rounds > 1 ? 's' : ''} (medians)\n`,
  );
  console.log(row('SQLite, one instance (msgs/s)', results.sqlite_max_msgs_per_s, ''));
  console.log(
    row(
      'PostgreSQL, one instance (msgs/s)',
      results.pg_max_msgs_per_s,
      `>= 30% of SQLite (${pct(results.pg_vs_sqlite)}${range(results.pg_vs_sqlite_range)})`,
    ),
  );
  console.log(
    row(
      'PostgreSQL + Redis, two instances (msgs/s)',
      results.pg2_max_msgs_per_s,
      `>= 90% of one (${pct(results.pg2_vs_pg)}${range(results.pg2_vs_pg_range)})`,
    ),
  );
  console.log(row('errors, two instances', results.pg2_errors, '0'));
  console.log(row('deadlocks, one / two instances', `${results.pg_deadlocks} / ${results.pg2_deadlocks}`, '0'));
  // Where the CPU went, per 1,000 messages delivered in the measured windows (cpu.ts; the median
  // over the rounds): "others" is the rest of the machine meanwhile (other work, PostgreSQL's
  // background processes).
  const roles = ['server', 'server2', 'postgres', 'redis', 'generator', 'total', 'others', 'cores', 'cores_others', 'batch_ops'];
  const cpu: Record<string, number> = {};
  console.log(`\nCPU-ms per 1,000 messages ${roles.map((r) => r.padStart(10)).join('')}`);
  for (const [phaseName, all] of Object.entries({ sqlite: sq, pg: pg1, pg2 })) {
    if (all[0]!.cpu_total === undefined) continue;
    const figure = (role: string) => {
      const values = all.map((r) => r[`cpu_${role}`]).filter((v): v is number => v !== undefined);
      return values.length ? Math.round(median(values) * 100) / 100 : undefined;
    };
    console.log(`${phaseName.padEnd(26)}${roles.map((r) => String(figure(r) ?? '-').padStart(10)).join('')}`);
    for (const role of roles) if (figure(role) !== undefined) cpu[`${phaseName}_cpu_${role}`] = figure(role)!;
  }
  console.log(JSON.stringify({ ...results, ...cpu }));
}

async function main(): Promise<void> {
  if (postgres) return mainPostgres();
  const results: Record<string, number> = {};
  // Baseline.
  const bare = await start([join(dist, 'bench', 'bare-relay.js')], {}, /READY (\d+)/);
  const bareUrl = `http://127.0.0.1:${bare.match[1]}`;
  const bl = await load({
    target: 'bare',
    url: bareUrl,
    mode: 'latency',
    conversations: P.conversations,
    rate: P.rate,
    seconds: P.seconds,
  });
  const bt = await load({
    target: 'bare',
    url: bareUrl,
    mode: 'throughput',
    conversations: P.throughputConversations,
    seconds: P.seconds,
    window: 8,
  });
  const bareIdle = await idleRss(bare.child.pid!, 'bare', bareUrl, P.idle);
  await stop(bare.child);

  const servus = await startServus();
  const { dataDir } = servus;
  const { url } = servus;
  const cookie = await loginCookie(url);
  const sl = await load({
    target: 'servus',
    url,
    mode: 'latency',
    conversations: P.conversations,
    rate: P.rate,
    seconds: P.seconds,
    cookie,
    trace,
  });
  const st = await load({
    target: 'servus',
    url,
    mode: 'throughput',
    conversations: P.throughputConversations,
    seconds: P.seconds,
    window: 8,
    cookie,
    trace,
  });
  await stop(servus.child);
  rmSync(dataDir, { recursive: true, force: true });
  // Idle memory on a fresh process: after the throughput phase the heap shrinks while the sockets
  // open, which made the growth per socket come out negative.
  const fresh = await startServus();
  const servusIdle = await idleRss(fresh.child.pid!, 'servus', fresh.url, P.idle);
  await stop(fresh.child);
  rmSync(fresh.dataDir, { recursive: true, force: true });

  Object.assign(results, {
    conversations: P.conversations,
    msgs_per_s: sl.msgs_per_s!,
    p50_ms: sl.p50_ms!,
    p95_ms: sl.p95_ms!,
    p99_ms: sl.p99_ms!,
    over_5ms_pct: sl.over_5ms_pct!,
    baseline_p50_ms: bl.p50_ms!,
    baseline_p95_ms: bl.p95_ms!,
    baseline_p99_ms: bl.p99_ms!,
    baseline_over_5ms_pct: bl.over_5ms_pct!,
    max_msgs_per_s: st.msgs_per_s!,
    baseline_max_msgs_per_s: bt.msgs_per_s!,
    ratio_max_vs_baseline: Math.round((st.msgs_per_s! / Math.max(1, bt.msgs_per_s!)) * 1000) / 1000,
    idle_sockets: P.idle,
    rss_kb_per_idle_socket: servusIdle,
    baseline_rss_kb_per_idle_socket: bareIdle,
  });
  const row = (name: string, servusValue: number | string, baseline: number | string, target: string) =>
    `${name.padEnd(34)}${String(servusValue).padStart(12)}${String(baseline).padStart(14)}   ${target}`;
  console.log(`\nServus benchmark${quick ? ' (quick)' : ''}: ${P.conversations} conversations (${P.conversations * 2} sockets)\n`);
  console.log(`${'figure'.padEnd(34)}${'servus'.padStart(12)}${'bare ws'.padStart(14)}   target`);
  console.log(row(`delivered msgs/s at ${P.rate}/s`, sl.msgs_per_s!, bl.msgs_per_s!, ''));
  console.log(row('latency p50 (ms)', sl.p50_ms!, bl.p50_ms!, ''));
  console.log(row('latency p95 (ms)', sl.p95_ms!, bl.p95_ms!, ''));
  console.log(row('latency p99 (ms)', sl.p99_ms!, bl.p99_ms!, '< 5'));
  console.log(row('messages over 5 ms (%)', sl.over_5ms_pct!, bl.over_5ms_pct!, '< 1 (same as p99 < 5)'));
  console.log(
    row(
      'max msgs/s (persisted, closed loop)',
      st.msgs_per_s!,
      bt.msgs_per_s!,
      `>= 30% of bare (${Math.round(results.ratio_max_vs_baseline! * 1000) / 10}%)`,
    ),
  );
  console.log(row(`RSS KB per idle socket (${P.idle})`, servusIdle, bareIdle, '<= 20'));
  console.log(JSON.stringify(results));
}

main().catch((err: unknown) => {
  console.error(err);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
