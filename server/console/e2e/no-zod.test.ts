// The console bundles no zod: it imports shared/'s types and constants from the zod-free entry
// (`@servus/shared`); only the server loads `@servus/shared/schemas`. Reads the built console.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const assets = fileURLToPath(new URL('../dist/assets/', import.meta.url));
/** A string every zod v4 bundle carries (its schemas' constructor names survive minification). */
const ZOD_MARKER = '$ZodType';

describe('console bundle', () => {
  it('carries no zod in any script a browser loads', () => {
    if (!existsSync(assets)) throw new Error('The console is not built: run `node scripts/build.mjs` first.');
    // The marker is real: zod's own schema module holds it, so a bundled zod would too.
    const zodSchemas = join(createRequire(import.meta.url).resolve('zod'), '..', 'v4', 'core', 'schemas.js');
    expect(readFileSync(zodSchemas, 'utf8')).toContain(ZOD_MARKER);
    const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((f) => readFileSync(join(assets, f), 'utf8').includes(ZOD_MARKER))).toEqual([]);
  });
});
