// /api/tokens: admins create, list and revoke API tokens for integrations (docs/integrations.md). The
// secret is in the create answer only; a token may act only on sites its creator belongs to.
import { Hono } from 'hono';
import { z } from 'zod';
import { ErrorCode, type ApiTokenCreatedResponse, type ApiTokenListResponse, type OkResponse } from '@servus/shared';
import { API_SCOPES, type ApiTokens } from '../../auth/api-tokens.js';
import { ServusError, notFound } from '../../core/errors.js';
import { parseJson, requireAdmin, type Env } from '../toolkit.js';

export const tokenInput = z.object({
  name: z.string().trim().min(1).max(200),
  scopes: z.array(z.enum(API_SCOPES)).min(1).max(API_SCOPES.length),
  /** Default: every site of the admin creating it. */
  siteKeys: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
});

export function tokenRoutes({ tokens }: { tokens: ApiTokens }) {
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    requireAdmin(c, 'Only admins manage API tokens.');
    await next();
  });

  app.get('/', async (c) => c.json({ tokens: await tokens.list() } satisfies ApiTokenListResponse));

  app.post('/', async (c) => {
    const agent = c.get('agent');
    const body = await parseJson(c, tokenInput);
    const siteKeys = body.siteKeys ?? agent.siteKeys;
    const foreign = siteKeys.find((k) => !agent.siteKeys.includes(k));
    if (foreign !== undefined) throw new ServusError(ErrorCode.NOT_FOUND, `No such site: ${foreign}.`, { path: 'siteKeys' });
    const created = await tokens.create({ name: body.name, scopes: body.scopes, siteKeys, createdBy: agent.id });
    c.header('Cache-Control', 'no-store');
    return c.json(created satisfies ApiTokenCreatedResponse, 201);
  });

  app.delete('/:id', async (c) => {
    if (!(await tokens.revoke(c.req.param('id')))) throw notFound('token');
    return c.json({ ok: true } satisfies OkResponse);
  });
  return app;
}
