// The README's bot-evaluation command works in a fresh clone: the file it names is in the
// repository and the evaluation runs on it (issue 17 point 17).
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe("the README's eval:bot line", () => {
  it('names an eval file inside the repository, and the evaluation runs on it', () => {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const line = /npm run eval:bot -- (\S+)/.exec(readme);
    expect(line).not.toBeNull();
    const file = line![1]!;
    expect(file.startsWith('..')).toBe(false);
    expect(existsSync(`${root}${file}`)).toBe(true);
    const run = spawnSync(process.execPath, ['server/dist/bot/eval-cli.js', file], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/in-scope accuracy/);
  });
});
