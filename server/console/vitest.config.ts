// The console's tests: units beside the code, and end-to-end tests in real Chromium against a real
// server (e2e/, they need the built console: `node scripts/build.mjs`).
import { defineConfig } from 'vitest/config';
import { sharedSourceAlias } from '../../shared/vitest-alias.js';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    alias: sharedSourceAlias,
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
