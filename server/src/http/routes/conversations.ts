// /api/conversations: the agents' lists with search and filters, one conversation with the
// visitor's context, its log, and its labels. Only conversations of the agent's sites.
import { Hono } from 'hono';
import { z } from 'zod';
import { storableString } from '@servus/shared/schemas';
import type { Config } from '../../core/config.js';
import type { Conversations } from '../../conversations/index.js';
import { replayedFrameOf } from '../../realtime/frames.js';
import {
  ErrorCode,
  type ConversationDetail,
  type ConversationEventsResponse,
  type ConversationLabelsResponse,
  type ConversationListResponse,
} from '@servus/shared';
import { ServusError } from '../../core/errors.js';
import { parseJson, parseQuery, type AuditHook, type Ctx, type Env } from '../toolkit.js';

const listQuery = z.object({
  status: z.enum(['queued', 'assigned', 'resolved', 'bot', 'all']).default('all'),
  mine: z.enum(['0', '1']).optional(),
  q: storableString().max(200).optional(),
  label: storableString().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(0).optional(),
});
const label = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'letters, digits, space, _ . -');
const afterSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0);

/** `?after=SEQ` of the events routes (0 without it). */
export function afterSeq(c: Ctx): number {
  const after = afterSchema.safeParse(c.req.query('after'));
  if (!after.success) throw new ServusError(ErrorCode.BAD_FRAME, 'after: must be a whole number', { path: 'after' });
  return after.data;
}

export function conversationRoutes({
  conversations,
  config,
  audit,
}: {
  conversations: Conversations;
  config: Pick<Config, 'replayBatch'>;
  /** Who opened which conversation (a person's data) goes to the audit log. */
  audit?: AuditHook | undefined;
}) {
  const { queries } = conversations;
  const app = new Hono<Env>();

  app.get('/', async (c) => {
    const f = parseQuery(c, listQuery);
    return c.json({ conversations: await queries.list(c.get('agent'), { ...f, mine: f.mine === '1' }) } satisfies ConversationListResponse);
  });

  app.get('/:id', async (c) => {
    const conv = await conversations.agentConversation(c.get('agent'), c.req.param('id'));
    await audit?.(c, { action: 'conversation.view', siteKey: conv.site_key, subject: `conversation:${conv.id}` });
    return c.json((await queries.detail(conv)) satisfies ConversationDetail);
  });

  app.get('/:id/events', async (c) => {
    const conv = await conversations.agentConversation(c.get('agent'), c.req.param('id'));
    const { rows, more } = await conversations.eventsAfter(conv, 'agent', afterSeq(c), config.replayBatch);
    const assigneeName = await conversations.agentName(conv.assignee_id);
    return c.json({
      events: rows.map((row) => replayedFrameOf(conv, row, 'agent', assigneeName)),
      more,
    } satisfies ConversationEventsResponse);
  });

  app.put('/:id/labels', async (c) => {
    const conv = await conversations.agentConversation(c.get('agent'), c.req.param('id'));
    const body = await parseJson(c, z.object({ labels: z.array(label).max(20) }));
    return c.json({ labels: await queries.setLabels(conv, body.labels) } satisfies ConversationLabelsResponse);
  });

  return app;
}
