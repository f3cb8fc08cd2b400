// Keeps `npm run bench` from rotting: the quick mode runs every phase against real processes and
// must print the JSON line with every figure as a number.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const run = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url));

describe('npm run bench', () => {
  it('measures Servus and the bare ws baseline and prints the figures as JSON', () => {
    const res = spawnSync(process.execPath, [run, '--quick'], { encoding: 'utf8', timeout: 120_000 });
    expect(res.status, res.stderr).toBe(0);
    const last = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    for (const key of [
      'conversations',
      'msgs_per_s',
      'p50_ms',
      'p95_ms',
      'p99_ms',
      'over_5ms_pct',
      'baseline_p50_ms',
      'baseline_p95_ms',
      'baseline_p99_ms',
      'baseline_over_5ms_pct',
      'max_msgs_per_s',
      'baseline_max_msgs_per_s',
      'idle_sockets',
      'rss_kb_per_idle_socket',
    ]) {
      expect(Number.isFinite(last[key]), key).toBe(true);
    }
    // Every message sent at the fixed rate arrived, on both systems (within a few in flight at the end).
    expect(last.msgs_per_s).toBeGreaterThan(150);
    expect(last.max_msgs_per_s).toBeGreaterThan(0);
  }, 130_000);

  it('measures SQLite, PostgreSQL and two PostgreSQL instances with --postgres and prints the figures as JSON', () => {
    const res = spawnSync(process.execPath, [run, '--postgres', '--quick'], { encoding: 'utf8', timeout: 170_000 });
    expect(res.status, res.stderr).toBe(0);
    const last = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    for (const key of ['sqlite_max_msgs_per_s', 'pg_max_msgs_per_s', 'pg2_max_msgs_per_s', 'pg2_errors', 'pg2_deadlocks']) {
      expect(Number.isFinite(last[key]), key).toBe(true);
    }
    expect(last.pg_max_msgs_per_s).toBeGreaterThan(0);
    expect(last.pg2_max_msgs_per_s).toBeGreaterThan(0);
    expect(last.pg2_errors).toBe(0);
  }, 180_000);
});
