// The widget bundles no zod: it imports shared/'s types and constants from the zod-free entry
// (`@servus/shared`); only the server loads `@servus/shared/schemas`.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { distDir, ensureBuilt } from './dist.js';

/** A string every zod v4 bundle carries (its schemas' constructor names survive minification). */
const ZOD_MARKER = '$ZodType';

describe('widget bundle', () => {
  beforeAll(() => ensureBuilt());

  it('carries no zod in any file a browser loads', () => {
    // The marker is real: zod's own schema module holds it, so a bundled zod would too.
    const zodSchemas = join(createRequire(import.meta.url).resolve('zod'), '..', 'v4', 'core', 'schemas.js');
    expect(readFileSync(zodSchemas, 'utf8')).toContain(ZOD_MARKER);
    const files = [join(distDir, 'widget.js'), ...readdirSync(join(distDir, 'widget')).map((f) => join(distDir, 'widget', f))];
    const withZod = files.filter((f) => f.endsWith('.js') && readFileSync(f, 'utf8').includes(ZOD_MARKER));
    expect(files.length).toBeGreaterThan(3);
    expect(withZod).toEqual([]);
  });
});
