// The OpenAPI document is valid OpenAPI 3.1, names every route the API serves (a route mounted
// outside the registry fails here), and docs/api.md is the document rendered (regenerate it with
// `npm run docs:api`).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { API_MD, referenceDocument, referenceMarkdown, referenceRoutes } from './reference.js';
import { mountApiRoutes } from './registry.js';
import { createSharedRateLimiter } from '../../core/rate-limit.js';

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(referenceDocument() as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists exactly the routes the API router serves', () => {
    const router = mountApiRoutes(referenceRoutes(), {
      tokens: {} as never,
      limiter: createSharedRateLimiter({ name: 't', limit: 1, windowMs: 1000 }),
      retryAfterSeconds: 1,
    });
    const served = router.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method.toLowerCase()} /api/v1${r.path.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    const doc = referenceDocument();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
      .sort();
    expect(documented).toEqual(served);
    expect(documented.length).toBeGreaterThanOrEqual(20);
  });

  it('describes request bodies and queries from the validation schemas', () => {
    const doc = referenceDocument() as unknown as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: { 'application/json': { schema: { required?: string[] } } } }; parameters?: { name: string }[] }
        >
      >;
    };
    const send = doc.paths['/api/v1/conversations/{id}/messages']!.post!;
    expect(send.requestBody!.content['application/json'].schema.required).toEqual(['cid', 'text']);
    expect(doc.paths['/api/v1/conversations']!.get!.parameters!.map((p) => p.name)).toEqual([
      'status',
      'siteKey',
      'assigneeId',
      'visitorId',
      'label',
      'updatedSince',
      'limit',
      'cursor',
    ]);
  });

  it('docs/api.md is up to date (npm run docs:api)', () => {
    expect(readFileSync(API_MD, 'utf8')).toBe(referenceMarkdown());
  });
});
