// The console's tests: units beside the code, and end-to-end tests in real Chromium against a real
// server (e2e/, they need the built console: `node scripts/build.mjs`).
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    // Exact matches (a prefix match would turn '@servus/shared/url-pattern' into 'index.ts/url-pattern');
    // any other subpath maps to its source file.
    alias: [
      { find: /^@servus\/shared$/, replacement: fileURLToPath(new URL('../../shared/src/index.ts', import.meta.url)) },
      { find: /^@servus\/shared\/([a-z-]+)$/, replacement: fileURLToPath(new URL('../../shared/src/', import.meta.url)) + '$1.ts' },
    ],
  },
  test: {
    name: 'console',
    root: fileURLToPath(new URL('.', import.meta.url)),
    environment: 'node',
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One Chromium at a time: the machine is shared.
    fileParallelism: false,
  },
});
