// The widget's end-to-end tests (real Chromium against a real server) and its size budget check,
// in node. Both read the built bundle in widget/dist (built first when it is missing).
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    // Exact matches: '@servus/shared/url-pattern' must not become 'index.ts/url-pattern'.
    alias: [
      { find: /^@servus\/shared$/, replacement: fileURLToPath(new URL('../shared/src/index.ts', import.meta.url)) },
      {
        find: /^@servus\/shared\/url-pattern$/,
        replacement: fileURLToPath(new URL('../shared/src/url-pattern.ts', import.meta.url)),
      },
    ],
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
