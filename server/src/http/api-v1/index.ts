// Integrations over HTTP: admins' token management (session), the token-authenticated REST API v1
// under /api/v1, and its OpenAPI document at /api/openapi.json (docs/integrations.md, docs/api.md).
import { Hono } from 'hono';
import type { Env } from '../toolkit.js';
import type { ApiTokens } from '../../auth/api-tokens.js';
import { createSharedRateLimiter, type RedisCounterClient } from '../../core/rate-limit.js';
import { createFaqFiles, type FaqFilesOptions } from '../faq-files.js';
import { mountApiRoutes, type ApiRoute } from './registry.js';
import { apiV1Routes, type ApiV1Options } from './routes.js';
import { openApiDocument } from './openapi.js';
import type { Webhooks } from '../../webhooks/webhooks.js';
import type { AddressPolicy } from '../../webhooks/ssrf.js';

export interface IntegrationOptions extends Omit<ApiV1Options, 'faq'> {
  tokens: ApiTokens;
  faqDir: string;
  faqShared?: FaqFilesOptions['shared'];
  /** Requests per token per minute, counted across instances with Redis. */
  requestsPerMinute: number;
  redis?: RedisCounterClient | undefined;
  redisPrefix?: string;
  /** More routes (webhooks) in the same registry and document. */
  extraRoutes?: ApiRoute[];
  /** The webhooks service, for the console's session routes. */
  webhooks?: { webhooks: Webhooks; policy: AddressPolicy };
}

/** Every v1 route: the list the router and the document are built from. */
export function allApiRoutes(options: Omit<IntegrationOptions, 'tokens' | 'requestsPerMinute'>): ApiRoute[] {
  const faq = createFaqFiles({ faqDir: options.faqDir, shared: options.faqShared });
  return [...apiV1Routes({ ...options, faq }), ...(options.extraRoutes ?? [])];
}

export function integrationApi(options: IntegrationOptions) {
  const routes = allApiRoutes(options);
  const limiter = createSharedRateLimiter({
    name: 'api',
    limit: options.requestsPerMinute,
    windowMs: 60_000,
    redis: options.redis,
    ...(options.redisPrefix ? { prefix: options.redisPrefix } : {}),
  });
  const v1 = mountApiRoutes(routes, { tokens: options.tokens, limiter, retryAfterSeconds: 60 });
  let doc: ReturnType<typeof openApiDocument> | null = null;
  const openapi = new Hono<Env>().get('/', (c) => {
    doc ??= openApiDocument(routes);
    c.header('Cache-Control', 'no-cache');
    return c.json(doc);
  });
  return { v1, openapi, routes };
}
