import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS, missingNodeFlags } from './node-flags.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe("the server's Node.js flags", () => {
  it('are passed by npm start and named where the README and the configuration docs start the server', () => {
    const start = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const configuration = readFileSync(`${root}docs/configuration.md`, 'utf8');
    for (const flag of SERVER_NODE_FLAGS) {
      expect(start).toContain(`node ${flag} server/dist/main.js`);
      expect(readme).toContain(`node ${flag} server/dist/main.js`);
      expect(configuration).toContain(flag);
    }
  });

  it('tells which flags a process lacks, from its command line or NODE_OPTIONS', () => {
    expect(missingNodeFlags([], '')).toEqual([...SERVER_NODE_FLAGS]);
    expect(missingNodeFlags([...SERVER_NODE_FLAGS], '')).toEqual([]);
    expect(missingNodeFlags([], SERVER_NODE_FLAGS.join(' '))).toEqual([]);
    // Another value for the same flag is the deployer's choice, not a missing flag.
    expect(missingNodeFlags(['--max-semi-space-size=32'], '')).toEqual([]);
  });

  it('raise the heap limit of a process started with them by the larger young generation', () => {
    const limit = (flags: readonly string[]) =>
      Number(
        spawnSync(process.execPath, [...flags, '-p', "require('v8').getHeapStatistics().heap_size_limit"], { encoding: 'utf8' }).stdout,
      );
    // Three semi-spaces of 64 MB instead of 16: 144 MB more.
    expect(limit(SERVER_NODE_FLAGS) - limit([])).toBe(3 * 48 * 1024 * 1024);
  });
});
