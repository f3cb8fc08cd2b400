// The API reference without a running server: the route list built with placeholder dependencies
// (only the schemas are read), its OpenAPI document, and docs/api.md rendered from it.
// `npm run docs:api` writes docs/api.md; api-docs.test.ts fails when the checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { DEFAULT_LIMITS } from '@servus/shared';
import { fileURLToPath } from 'node:url';
import { allApiRoutes } from './index.js';
import { openApiDocument, renderApiMarkdown } from './openapi.js';
import { webhookRoutes } from './webhook-routes.js';
import { createAddressPolicy } from '../../webhooks/ssrf.js';
import type { ApiRoute } from './registry.js';

const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('reference only')) });

export function referenceRoutes(): ApiRoute[] {
  return allApiRoutes({
    db: unused as never,
    conversations: unused as never,
    agentActor: async () => null,
    faqDir: '/nonexistent',
    maxMessageChars: DEFAULT_LIMITS.maxMessageChars,
    extraRoutes: webhookRoutes({ webhooks: unused as never, policy: createAddressPolicy() }),
  });
}

export const referenceDocument = () => openApiDocument(referenceRoutes());
export const referenceMarkdown = () => renderApiMarkdown(referenceDocument());

export const API_MD = fileURLToPath(new URL('../../../../docs/api.md', import.meta.url));

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(process.argv[2] ?? API_MD, referenceMarkdown());
}
