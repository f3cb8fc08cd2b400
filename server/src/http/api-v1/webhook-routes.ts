// REST API v1: a site's webhooks, their delivery log and the test button (docs/integrations.md).
import { z } from 'zod';
import type { TokenActor } from '../../auth/api-tokens.js';
import { notFound } from '../../core/errors.js';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';
import { resolveSafely, type AddressPolicy } from '../../webhooks/ssrf.js';
import type { Webhooks } from '../../webhooks/webhooks.js';
import { defineRoute, type ApiRoute } from './registry.js';

export const webhookSchema = z
  .object({
    id: z.string(),
    siteKey: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    createdAt: z.number().int(),
  })
  .meta({ id: 'Webhook' });

const deliverySchema = z
  .object({
    id: z.string().describe('Also the payload’s `id` and the Servus-Webhook-Id header: deduplicate on it.'),
    webhookId: z.string(),
    conversationId: z.string(),
    event: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: z.number().int().nullable(),
    lastStatus: z.number().int().nullable(),
    lastResponse: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.number().int(),
    deliveredAt: z.number().int().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);
const events = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);

function siteOf(token: TokenActor, key: string): string {
  if (!token.siteKeys.includes(key)) throw notFound('site');
  return key;
}

export function webhookRoutes({ webhooks, policy }: { webhooks: Webhooks; policy: AddressPolicy }): ApiRoute[] {
  /** Refused at once when the URL points inside the network (checked again at every delivery). */
  const checkUrl = async (value: string) => {
    await resolveSafely(new URL(value), policy);
  };
  const base = '/sites/{siteKey}/webhooks';
  return [
    defineRoute({
      method: 'get',
      path: base,
      scope: 'sites:manage',
      tag: 'Webhooks',
      summary: 'The site’s webhooks',
      response: z.object({ webhooks: z.array(webhookSchema) }),
      async run({ token, params }) {
        return { webhooks: await webhooks.list(siteOf(token, params.siteKey!)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: base,
      scope: 'sites:manage',
      tag: 'Webhooks',
      summary: 'Subscribe a URL to events',
      description:
        'The answer holds the signing `secret` (also readable later by admins). Private, loopback and link-local addresses are refused unless WEBHOOK_ALLOW_ADDRESSES opens them.',
      status: 201,
      body: z.object({ url, events }),
      response: z.object({ webhook: webhookSchema, secret: z.string() }),
      async run({ token, params, body }) {
        const key = siteOf(token, params.siteKey!);
        await checkUrl(body.url);
        return webhooks.create(key, body);
      },
    }),
    defineRoute({
      method: 'patch',
      path: `${base}/{webhookId}`,
      scope: 'sites:manage',
      tag: 'Webhooks',
      summary: 'Change a webhook; `enabled: true` after it was disabled sends what waited',
      body: z.object({ url: url.optional(), events: events.optional(), enabled: z.boolean().optional() }),
      response: z.object({ webhook: webhookSchema }),
      async run({ token, params, body }) {
        const key = siteOf(token, params.siteKey!);
        if (body.url) await checkUrl(body.url);
        return { webhook: await webhooks.update(key, params.webhookId!, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: `${base}/{webhookId}`,
      scope: 'sites:manage',
      tag: 'Webhooks',
      summary: 'Delete a webhook and its delivery log',
      response: z.object({ ok: z.literal(true) }),
      async run({ token, params }) {
        await webhooks.remove(siteOf(token, params.siteKey!), params.webhookId!);
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: 'get',
      path: `${base}/{webhookId}/deliveries`,
      scope: 'sites:manage',
      tag: 'Webhooks',
      summary: 'The delivery log, newest first',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.coerce.number().int().min(0).optional().describe('Only deliveries created before this time (paging).'),
      }),
      response: z.object({ deliveries: z.array(deliverySchema) }),
      async run({ token, params, query }) {
        return { deliveries: await webhooks.deliveries(siteOf(token, params.siteKey!), params.webhookId!, query.limit, query.before) };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${base}/{webhookId}/test`,
      scope: 'sites:manage',
      tag: 'Webhooks',
      summary: 'Send a signed `webhook.test` event now and answer how it went',
      response: z.object({
        ok: z.boolean(),
        status: z.number().int().nullable(),
        response: z.string().nullable(),
        error: z.string().nullable(),
      }),
      async run({ token, params }) {
        return webhooks.test(siteOf(token, params.siteKey!), params.webhookId!);
      },
    }),
  ];
}
