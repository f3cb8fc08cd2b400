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
    name: 'server',
    environment: 'node',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
