// The widget's end-to-end tests (real Chromium against a real server) and its size budget check,
// in node. Both read the built bundle in widget/dist (built first when it is missing).
import { defineConfig } from 'vitest/config';
import { sharedSourceAlias } from '../shared/vitest-alias.js';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    alias: sharedSourceAlias,
  },
  test: {
    name: 'widget-e2e',
    root: fileURLToPath(new URL('.', import.meta.url)),
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One browser and one server for the whole file; files run one after another (2 shared cores).
    fileParallelism: false,
  },
});
