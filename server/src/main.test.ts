// `npm start` on a port that is taken: one line naming the port and what to do, no stack trace.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from './core/node-flags.js';

const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'servus-main-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('main', () => {
  it('says in one line which port is taken and what to do, and exits with 1', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const { port } = holder.address() as AddressInfo;
    try {
      const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, mainJs], {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          ADMIN_PASSWORD: 'main-test-password',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code).toBe(1);
      expect(stdout).toBe('');
      const lines = stderr.trim().split('\n');
      expect(lines).toEqual([
        `Port ${port} on 127.0.0.1 is already in use (another Servus, or another program): stop it, or start on a free port, e.g. PORT=${port + 1} npm start`,
      ]);
    } finally {
      holder.close();
    }
  });
});
