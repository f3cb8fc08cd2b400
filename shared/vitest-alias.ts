// Test configs resolve `@servus/shared` and `@servus/shared/schemas` to the TypeScript sources, so
// tests need no build of shared/. Exact matches: a prefix alias would turn
// '@servus/shared/schemas' into 'index.ts/schemas'.
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export const sharedSourceAlias = [
  { find: /^@servus\/shared$/, replacement: src + 'index.ts' },
  { find: /^@servus\/shared\/schemas$/, replacement: src + 'schemas/index.ts' },
];
