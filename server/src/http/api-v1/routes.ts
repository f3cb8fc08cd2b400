// The REST API v1 for integrations (docs/api.md is generated from this list): conversations, their
// events, messages and notes, assignment, transfer, resolution and labels; visitors; FAQ entries;
// metrics. Writes go through the conversation commands, so every message is an event with its seq,
// delivered live to the console and the widget, and exactly once per cid.
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { storableString } from '@servus/shared/schemas';
import { ErrorCode } from '@servus/shared';
import type { TokenActor } from '../../auth/api-tokens.js';
import type { AgentActor, IntegrationActor } from '../../core/actors.js';
import { ServusError, notFound } from '../../core/errors.js';
import { toMessage, type Conversations, type ConversationRow } from '../../conversations/index.js';
import type { Database } from '../../storage/schema.js';
import type { FaqFiles } from '../faq-files.js';
import { loadMetrics } from '../../metrics/query.js';
import { defineRoute, type ApiRoute } from './registry.js';

export interface ApiV1Options {
  db: Kysely<Database>;
  conversations: Conversations;
  /** The agent an action is done as (with their sites), or null. */
  agentActor: (agentId: string) => Promise<AgentActor | null>;
  faq: FaqFiles;
  maxMessageChars: number;
}

// ---- schemas (shared by validation and the OpenAPI document)

const id = z.string().min(1).max(80);
const cid = z
  .string()
  .min(1)
  .max(80)
  .describe('Client-chosen id of the command: a retry with the same cid is answered with the stored result and writes nothing.');
const status = z.enum(['bot', 'queued', 'assigned', 'resolved']);
const label = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'letters, digits, space, _ . -');
const limit = (max: number, dflt: number) =>
  z.coerce.number().int().min(1).max(max).default(dflt).describe(`At most ${max}; default ${dflt}.`);

export const conversationSchema = z
  .object({
    id: z.string(),
    siteKey: z.string(),
    status,
    visitorId: z.string(),
    assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
    handoffReason: z.string().nullable(),
    lastSeq: z.number().int(),
    createdAt: z.number().int().describe('Epoch milliseconds.'),
    updatedAt: z.number().int(),
    queuedAt: z.number().int().nullable(),
    resolvedAt: z.number().int().nullable(),
  })
  .meta({ id: 'Conversation' });

export const eventSchema = z
  .object({
    id: z.string(),
    seq: z.number().int().describe('Position in the conversation (agents’ sequence, notes included).'),
    kind: z.enum(['text', 'note', 'system']),
    author: z.object({ type: z.enum(['visitor', 'bot', 'agent', 'system']), id: z.string().optional(), name: z.string().optional() }),
    text: z.string(),
    at: z.number().int(),
    cid: z.string().optional(),
  })
  .meta({ id: 'Event' });

export const visitorSchema = z
  .object({
    id: z.string(),
    siteKey: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    verified: z.boolean().describe('True when the site vouched for the identity (identify with a valid hash).'),
    externalId: z.string().nullable(),
    context: z.record(z.string(), z.unknown()).describe('Where the visitor is: page, language, browser.'),
    createdAt: z.number().int(),
    lastSeenAt: z.number().int(),
  })
  .meta({ id: 'Visitor' });

const written = z
  .object({
    conversationId: z.string(),
    id: z.string().optional().describe('The stored event.'),
    seq: z.number().int().optional(),
    duplicate: z.boolean().describe('True when this cid was seen before: nothing new was written.'),
  })
  .meta({ id: 'Written' });

const faqEntrySchema = z
  .object({
    id: z.string(),
    question: z.string(),
    variants: z.array(z.string()),
    answer: z.string(),
    tags: z.array(z.string()).optional(),
    lang: z.enum(['de', 'en']).optional(),
    file: z.string(),
  })
  .meta({ id: 'FaqEntry' });
const phrasing = storableString().trim().min(1).max(500);
const faqInput = z.object({
  question: phrasing,
  variants: z.array(phrasing).max(50).default([]),
  answer: storableString().trim().min(1).max(20_000),
  tags: z.array(storableString().trim().min(1).max(64)).max(20).optional(),
  lang: z.enum(['de', 'en']).optional(),
});

// ---- helpers

/** Cursors are opaque to clients: base64url of the last row's sort key. */
const encodeCursor = (parts: (string | number)[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
function decodeCursor(cursor: string | undefined): [number, string] | null {
  if (!cursor) return null;
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && typeof parts[0] === 'number' && typeof parts[1] === 'string') return [parts[0], parts[1]];
  } catch {
    /* below */
  }
  throw new ServusError(ErrorCode.BAD_FRAME, 'cursor: not a cursor this API gave out', { path: 'cursor' });
}

const integration = (token: TokenActor): IntegrationActor => ({
  kind: 'integration',
  id: token.id,
  name: token.name,
  siteKeys: token.siteKeys,
});

function toApiConversation(row: ConversationRow, assigneeName: string | null): z.infer<typeof conversationSchema> {
  return {
    id: row.id,
    siteKey: row.site_key,
    status: row.status,
    visitorId: row.visitor_id,
    assignee: row.assignee_id ? { id: row.assignee_id, name: assigneeName ?? 'Agent' } : null,
    handoffReason: row.handoff_reason,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    queuedAt: row.queued_at,
    resolvedAt: row.resolved_at,
  };
}

export function apiV1Routes({ db, conversations, agentActor, faq, maxMessageChars }: ApiV1Options): ApiRoute[] {
  const text = storableString().trim().min(1).max(maxMessageChars);
  const { commands } = conversations;

  /** A conversation of one of the token's sites; others are NOT_FOUND like missing ones. */
  const conversationOf = (token: TokenActor, conversationId: string) => conversations.agentConversation(integration(token), conversationId);

  /** The agent an action is done as: one of the conversation's site's agents. */
  async function agentFor(agentId: string, siteKey: string): Promise<AgentActor> {
    const agent = await agentActor(agentId);
    if (!agent || !agent.siteKeys.includes(siteKey))
      throw new ServusError(ErrorCode.NOT_FOUND, 'No such agent on this site.', { path: 'agentId' });
    return agent;
  }

  const ackOut = (ack: { conversationId?: string; id?: string; seq?: number; duplicate?: boolean }) => ({
    conversationId: ack.conversationId ?? '',
    ...(ack.id ? { id: ack.id } : {}),
    ...(ack.seq !== undefined ? { seq: ack.seq } : {}),
    duplicate: ack.duplicate === true,
  });

  const siteQuery = z.string().max(64).optional().describe('Only this site (one of the token’s sites).');

  return [
    defineRoute({
      method: 'get',
      path: '/conversations',
      scope: 'conversations:read',
      tag: 'Conversations',
      summary: 'List conversations, newest activity first',
      query: z.object({
        status: status.optional(),
        siteKey: siteQuery,
        assigneeId: z.string().max(80).optional(),
        visitorId: z.string().max(80).optional(),
        label: label.optional(),
        updatedSince: z.coerce.number().int().min(0).optional().describe('Only conversations updated at or after this time (epoch ms).'),
        limit: limit(100, 50),
        cursor: z.string().max(500).optional().describe('`nextCursor` of the previous page.'),
      }),
      response: z.object({ conversations: z.array(conversationSchema), nextCursor: z.string().nullable() }),
      async run({ token, query }) {
        const sites = query.siteKey ? token.siteKeys.filter((k) => k === query.siteKey) : token.siteKeys;
        if (!sites.length) return { conversations: [], nextCursor: null };
        let q = db.selectFrom('conversations').selectAll('conversations').where('site_key', 'in', sites);
        if (query.status) q = q.where('status', '=', query.status);
        if (query.assigneeId) q = q.where('assignee_id', '=', query.assigneeId);
        if (query.visitorId) q = q.where('visitor_id', '=', query.visitorId);
        if (query.updatedSince !== undefined) q = q.where('updated_at', '>=', query.updatedSince);
        const lbl = query.label;
        if (lbl)
          q = q.where((eb) =>
            eb.exists(
              eb
                .selectFrom('conversation_labels as l')
                .select('l.label')
                .whereRef('l.conversation_id', '=', 'conversations.id')
                .where('l.label', '=', lbl),
            ),
          );
        const after = decodeCursor(query.cursor);
        if (after)
          q = q.where((eb) => eb.or([eb('updated_at', '<', after[0]), eb.and([eb('updated_at', '=', after[0]), eb('id', '<', after[1])])]));
        const rows = await q
          .orderBy('updated_at', 'desc')
          .orderBy('id', 'desc')
          .limit(query.limit + 1)
          .execute();
        const page = rows.slice(0, query.limit);
        const names = new Map((await db.selectFrom('agents').select(['id', 'name']).execute()).map((a) => [a.id, a.name]));
        const last = page.at(-1);
        return {
          conversations: page.map((r) => toApiConversation(r, r.assignee_id ? (names.get(r.assignee_id) ?? null) : null)),
          nextCursor: rows.length > query.limit && last ? encodeCursor([last.updated_at, last.id]) : null,
        };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/conversations',
      scope: 'conversations:write',
      tag: 'Conversations',
      summary: 'Open a conversation with a known visitor',
      description:
        'Starts a new conversation for a visitor who has none open, with a first message from an agent (`agentId`: the agent then has the conversation) or from the integration (under `name` or the token’s name; the bot keeps the conversation). The visitor sees it live. 409 CONFLICT when the visitor has an open conversation.',
      status: 201,
      body: z.object({ visitorId: id, cid, text, agentId: id.optional(), name: z.string().trim().min(1).max(80).optional() }),
      response: written,
      async run({ token, body }) {
        const visitor = await db.selectFrom('visitors').select('site_key').where('id', '=', body.visitorId).executeTakeFirst();
        if (!visitor || !token.siteKeys.includes(visitor.site_key)) throw notFound('visitor');
        const by = body.agentId ? await agentFor(body.agentId, visitor.site_key) : integration(token);
        return ackOut(await commands.openConversation(by, { cid: body.cid, visitorId: body.visitorId, text: body.text, name: body.name }));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/conversations/{id}',
      scope: 'conversations:read',
      tag: 'Conversations',
      summary: 'One conversation with its labels and visitor',
      response: z.object({ conversation: conversationSchema, labels: z.array(z.string()), visitor: visitorSchema }),
      async run({ token, params }) {
        const conv = await conversationOf(token, params.id!);
        const labels = await db
          .selectFrom('conversation_labels')
          .select('label')
          .where('conversation_id', '=', conv.id)
          .orderBy('label')
          .execute();
        return {
          conversation: toApiConversation(conv, await conversations.agentName(conv.assignee_id)),
          labels: labels.map((l) => l.label),
          visitor: await visitorOut(conv.visitor_id),
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/conversations/{id}/events',
      scope: 'conversations:read',
      tag: 'Conversations',
      summary: 'The conversation’s log: messages, notes and status changes in seq order',
      query: z.object({
        after: z.coerce.number().int().min(0).default(0).describe('Only events after this seq (the `nextCursor` of the previous page).'),
        limit: limit(500, 100),
      }),
      response: z.object({
        events: z.array(eventSchema),
        nextCursor: z.string().nullable().describe('Pass as `after` for the next page.'),
      }),
      async run({ token, params, query }) {
        const conv = await conversationOf(token, params.id!);
        const { rows, more } = await conversations.eventsAfter(conv, 'agent', query.after, query.limit);
        const events = rows.map((row) => {
          const m = toMessage(row, 'agent');
          return { id: m.id, seq: m.seq, kind: m.kind, author: m.author, text: m.text, at: m.at, ...(m.cid ? { cid: m.cid } : {}) };
        });
        return { events, nextCursor: more && rows.length ? String(rows.at(-1)!.seq) : null };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/conversations/{id}/messages',
      scope: 'messages:write',
      tag: 'Messages',
      summary: 'Send a message to the visitor',
      description:
        'As an agent (`agentId`: answering a waiting conversation takes it, like in the console) or as the integration (authored as the bot, under `name` or the token’s name; the status stays). Exactly once per `cid`: a retry answers the stored event with `duplicate: true`.',
      body: z.object({ cid, text, agentId: id.optional(), name: z.string().trim().min(1).max(80).optional() }),
      response: written,
      async run({ token, params, body }) {
        const conv = await conversationOf(token, params.id!);
        const cmd = { cid: body.cid, conversationId: conv.id, text: body.text };
        if (body.agentId) return ackOut(await commands.agentMessage(await agentFor(body.agentId, conv.site_key), cmd));
        return ackOut(await commands.integrationMessage(integration(token), { ...cmd, name: body.name }));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/conversations/{id}/notes',
      scope: 'conversations:write',
      tag: 'Conversations',
      summary: 'Add an internal note (never shown to the visitor)',
      body: z.object({ cid, text, agentId: id.optional(), name: z.string().trim().min(1).max(80).optional() }),
      response: written,
      async run({ token, params, body }) {
        const conv = await conversationOf(token, params.id!);
        const cmd = { cid: body.cid, conversationId: conv.id, text: body.text };
        if (body.agentId) return ackOut(await commands.addNote(await agentFor(body.agentId, conv.site_key), cmd));
        return ackOut(await commands.integrationMessage(integration(token), { ...cmd, name: body.name }, 'note'));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/conversations/{id}/assign',
      scope: 'conversations:write',
      tag: 'Conversations',
      summary: 'Give a waiting conversation to an agent',
      description: 'For a conversation with the bot or in the queue. 409 CONFLICT when another agent has it (transfer it instead).',
      body: z.object({ cid, agentId: id }),
      response: written,
      async run({ token, params, body }) {
        const conv = await conversationOf(token, params.id!);
        const agent = await agentFor(body.agentId, conv.site_key);
        return ackOut(await commands.claim(agent, { cid: body.cid, conversationId: conv.id }));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/conversations/{id}/transfer',
      scope: 'conversations:write',
      tag: 'Conversations',
      summary: 'Move an assigned conversation to another agent',
      body: z.object({ cid, agentId: id }),
      response: written,
      async run({ token, params, body }) {
        const conv = await conversationOf(token, params.id!);
        await agentFor(body.agentId, conv.site_key);
        return ackOut(await commands.transfer(integration(token), { cid: body.cid, conversationId: conv.id, agentId: body.agentId }));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/conversations/{id}/resolve',
      scope: 'conversations:write',
      tag: 'Conversations',
      summary: 'Resolve a conversation',
      body: z.object({ cid }),
      response: written,
      async run({ token, params, body }) {
        const conv = await conversationOf(token, params.id!);
        return ackOut(await commands.resolve(integration(token), { cid: body.cid, conversationId: conv.id }));
      },
    }),

    defineRoute({
      method: 'put',
      path: '/conversations/{id}/labels',
      scope: 'conversations:write',
      tag: 'Conversations',
      summary: 'Replace the conversation’s labels',
      body: z.object({ labels: z.array(label).max(20) }),
      response: z.object({ labels: z.array(z.string()) }),
      async run({ token, params, body }) {
        const conv = await conversationOf(token, params.id!);
        return { labels: await conversations.queries.setLabels(conv, body.labels) };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/visitors/{id}',
      scope: 'conversations:read',
      tag: 'Visitors',
      summary: 'A visitor (contact)',
      response: z.object({ visitor: visitorSchema }),
      async run({ token, params }) {
        const visitor = await visitorOut(params.id!);
        if (!token.siteKeys.includes(visitor.siteKey)) throw notFound('visitor');
        return { visitor };
      },
    }),

    defineRoute({
      method: 'patch',
      path: '/visitors/{id}',
      scope: 'conversations:write',
      tag: 'Visitors',
      summary: 'Update a visitor’s name or email',
      description: 'Not for verified visitors: their identity comes from the site’s login (409 INVALID_STATE).',
      body: z
        .object({ name: storableString().trim().min(1).max(200).optional(), email: z.email().max(254).optional() })
        .refine((b) => b.name !== undefined || b.email !== undefined, 'name or email is required'),
      response: z.object({ visitor: visitorSchema }),
      async run({ token, params, body }) {
        const current = await visitorOut(params.id!);
        if (!token.siteKeys.includes(current.siteKey)) throw notFound('visitor');
        if (current.verified) throw new ServusError(ErrorCode.INVALID_STATE, 'A verified visitor’s identity comes from the site’s login.');
        const set: { name?: string; email?: string } = {};
        if (body.name !== undefined) set.name = body.name;
        if (body.email !== undefined) set.email = body.email;
        await db.updateTable('visitors').set(set).where('id', '=', current.id).execute();
        return { visitor: await visitorOut(current.id) };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/sites/{siteKey}/faq',
      scope: 'faq:manage',
      tag: 'FAQ',
      summary: 'The site’s FAQ entries',
      response: z.object({ entries: z.array(faqEntrySchema) }),
      async run({ token, params }) {
        const key = siteOf(token, params.siteKey!);
        const read = await faq.read(key);
        return { entries: read.entries.map(faqOut) };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/sites/{siteKey}/faq',
      scope: 'faq:manage',
      tag: 'FAQ',
      summary: 'Add an FAQ entry (the bot answers from it within seconds)',
      status: 201,
      body: faqInput.extend({
        id: z
          .string()
          .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'letters, digits, _ or - (at most 64)')
          .optional(),
      }),
      response: z.object({ entry: faqEntrySchema }),
      async run({ token, params, body }) {
        const key = siteOf(token, params.siteKey!);
        return { entry: faqOut(await faq.create(key, faqEntryInput(body))) };
      },
    }),

    defineRoute({
      method: 'put',
      path: '/sites/{siteKey}/faq/{entryId}',
      scope: 'faq:manage',
      tag: 'FAQ',
      summary: 'Replace an FAQ entry',
      body: faqInput,
      response: z.object({ entry: faqEntrySchema }),
      async run({ token, params, body }) {
        const key = siteOf(token, params.siteKey!);
        return { entry: faqOut(await faq.update(key, params.entryId!, faqEntryInput(body))) };
      },
    }),

    defineRoute({
      method: 'delete',
      path: '/sites/{siteKey}/faq/{entryId}',
      scope: 'faq:manage',
      tag: 'FAQ',
      summary: 'Delete an FAQ entry',
      response: z.object({ ok: z.literal(true) }),
      async run({ token, params }) {
        const key = siteOf(token, params.siteKey!);
        await faq.remove(key, params.entryId!);
        return { ok: true as const };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/metrics',
      scope: 'metrics:read',
      tag: 'Metrics',
      summary: 'Service metrics over a period (docs/metrics.md)',
      query: z.object({
        siteKey: siteQuery,
        from: z.coerce.number().int().min(0).optional().describe('Epoch ms; default 30 days before `to`.'),
        to: z.coerce.number().int().min(0).optional().describe('Epoch ms; default now.'),
        groupBy: z.enum(['day', 'hour', 'site', 'agent', 'lang']).optional(),
      }),
      response: z.object({ summary: z.record(z.string(), z.unknown()) }).loose(),
      async run({ token, query }) {
        const siteKeys = query.siteKey ? token.siteKeys.filter((k) => k === query.siteKey) : token.siteKeys;
        if (query.siteKey && !siteKeys.length) throw notFound('site');
        const to = query.to ?? Date.now();
        const report = await loadMetrics(db, { siteKeys, from: query.from ?? to - 30 * 86_400_000, to, groupBy: query.groupBy });
        return report as unknown as { summary: Record<string, unknown> };
      },
    }),
  ];

  async function visitorOut(visitorId: string): Promise<z.infer<typeof visitorSchema>> {
    const v = await db.selectFrom('visitors').selectAll().where('id', '=', visitorId).executeTakeFirst();
    if (!v) throw notFound('visitor');
    let context: Record<string, unknown> = {};
    try {
      context = JSON.parse(v.context) as Record<string, unknown>;
    } catch {
      // Stored by us; empty if ever unreadable.
    }
    return {
      id: v.id,
      siteKey: v.site_key,
      name: v.name,
      email: v.email,
      verified: v.verified === 1,
      externalId: v.verified ? v.external_id : null,
      context,
      createdAt: v.created_at,
      lastSeenAt: v.last_seen_at,
    };
  }
}

function siteOf(token: TokenActor, key: string): string {
  if (!token.siteKeys.includes(key)) throw notFound('site');
  return key;
}

type FaqOut = z.infer<typeof faqEntrySchema>;
function faqOut(e: FaqOut): FaqOut {
  return {
    id: e.id,
    question: e.question,
    variants: e.variants,
    answer: e.answer,
    file: e.file,
    ...(e.tags ? { tags: e.tags } : {}),
    ...(e.lang ? { lang: e.lang } : {}),
  };
}

function faqEntryInput(body: z.infer<typeof faqInput> & { id?: string | undefined }) {
  return {
    question: body.question,
    variants: body.variants,
    answer: body.answer,
    ...(body.id ? { id: body.id } : {}),
    ...(body.tags ? { tags: body.tags } : {}),
    ...(body.lang ? { lang: body.lang } : {}),
  };
}
