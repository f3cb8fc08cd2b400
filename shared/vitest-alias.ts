// Test configs resolve `@servus/shared` (and its subpaths such as `/url-pattern`) to the TypeScript
// sources, so tests need no build of shared/. Exact matches: a prefix alias would turn
// '@servus/shared/url-pattern' into 'index.ts/url-pattern'.
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export const sharedSourceAlias = [
  { find: /^@servus\/shared$/, replacement: src + 'index.ts' },
  { find: /^@servus\/shared\/([a-z-]+)$/, replacement: src + '$1.ts' },
];
