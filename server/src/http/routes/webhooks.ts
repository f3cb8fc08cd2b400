// /api/sites/:key/webhooks: the console's Integrations section (admins of the site): the site's
// webhooks, their delivery log and the test button, over the same service as the REST API v1.
import { Hono } from 'hono';
import { z } from 'zod';
import type { OkResponse, WebhookDeliveryView, WebhookView } from '@servus/shared';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';
import { resolveSafely, type AddressPolicy } from '../../webhooks/ssrf.js';
import type { Webhooks } from '../../webhooks/webhooks.js';
import { agentSiteKey, parseJson, parseQuery, requireAdmin, type Ctx, type Env } from '../toolkit.js';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);
const events = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);

export function webhookAdminRoutes({ webhooks, policy }: { webhooks: Webhooks; policy: AddressPolicy }) {
  const app = new Hono<Env>();
  const admin = (c: Ctx): string => {
    const key = agentSiteKey(c);
    requireAdmin(c, 'Only admins manage webhooks.');
    return key;
  };
  const checkUrl = (value: string) => resolveSafely(new URL(value), policy);

  app.get('/:key/webhooks', async (c) => c.json({ webhooks: (await webhooks.list(admin(c))) satisfies WebhookView[] }));
  app.post('/:key/webhooks', async (c) => {
    const key = admin(c);
    const body = await parseJson(c, z.object({ url, events }));
    await checkUrl(body.url);
    c.header('Cache-Control', 'no-store');
    return c.json(await webhooks.create(key, body), 201);
  });
  app.patch('/:key/webhooks/:id', async (c) => {
    const key = admin(c);
    const body = await parseJson(c, z.object({ url: url.optional(), events: events.optional(), enabled: z.boolean().optional() }));
    if (body.url) await checkUrl(body.url);
    return c.json({ webhook: await webhooks.update(key, c.req.param('id'), body) });
  });
  app.delete('/:key/webhooks/:id', async (c) => {
    await webhooks.remove(admin(c), c.req.param('id'));
    return c.json({ ok: true } satisfies OkResponse);
  });
  app.get('/:key/webhooks/:id/secret', async (c) => {
    const secret = await webhooks.secret(admin(c), c.req.param('id'));
    c.header('Cache-Control', 'no-store');
    return c.json({ secret });
  });
  app.get('/:key/webhooks/:id/deliveries', async (c) => {
    const key = admin(c);
    const q = parseQuery(
      c,
      z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), before: z.coerce.number().int().min(0).optional() }),
    );
    return c.json({ deliveries: (await webhooks.deliveries(key, c.req.param('id'), q.limit, q.before)) satisfies WebhookDeliveryView[] });
  });
  app.post('/:key/webhooks/:id/test', async (c) => c.json(await webhooks.test(admin(c), c.req.param('id'))));
  return app;
}
