import { defineConfig } from 'vitest/config';
import { sharedSourceAlias } from '../shared/vitest-alias.js';

export default defineConfig({
  resolve: {
    alias: sharedSourceAlias,
  },
  test: {
    name: 'server',
    environment: 'node',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
