// Test harness: runs the built server (server/dist/main.js) as a child process on a free port with
// a fresh data folder, so tests talk to the real thing over real sockets and can SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../core/node-flags.js';

const mainJs = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export const TEST_ADMIN = { email: 'admin@example.com', password: 'servus-test-password' } as const;

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same port and data folder. */
  restart(): Promise<ServerProcess>;
}

export interface StartServerProcessOptions {
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  keepData?: boolean;
}

export async function startServerProcess(options: StartServerProcessOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'servus-test-'));
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, mainJs], {
    env: {
      ...process.env,
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LOG_LEVEL: 'warn',
      // A model key in the developer's shell must not reach test servers (docs/llm.md); tests that want one set it.
      OPENAI_API_KEY: '',
      OPENAI_BASE_URL: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /Health:\s+(http:\/\/[^/\s]+)\/healthz/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited with ${code} before it was ready:\n${out}`)));
  });
  const port = Number(new URL(url).port);
  const proc: ServerProcess = {
    url,
    port,
    dataDir,
    child,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      if (!options.keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    restart: () => startServerProcess({ ...options, dataDir, port }),
  };
  return proc;
}
