// Root config: the test projects of every workspace. Each workspace's own config holds its build.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['shared/vitest.config.ts', 'server/vitest.config.ts', 'widget/vite*.config.ts', 'server/console/vitest.config.ts'],
  },
});
