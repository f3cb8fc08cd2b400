// The agents' REST API: conversations (lists, search, detail with visitor context, labels),
// canned responses, agents, and password changes. Every route checks the agent's rights.
import type { Hono, Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import {
  ErrorCode,
  type AgentCreatedResponse,
  type AgentListResponse,
  type CannedCreatedResponse,
  type CannedListResponse,
  type ConversationDetail,
  type ConversationLabelsResponse,
  type ConversationListResponse,
  type ConversationView,
  type UnansweredListResponse,
} from '@servus/shared';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Dialect } from '../storage/db.js';
import type { Auth } from '../auth.js';
import { SESSION_COOKIE } from '../auth.js';
import type { ConversationService, AgentActor } from '../conversations/service.js';
import { toView, type ConversationRow } from '../conversations/views.js';
import { ServusError, notFound } from '../errors.js';
import { hashPassword, hashToken, randomId, verifyPassword } from '../ids.js';
import type { Presence } from '../realtime/presence.js';
import { loadMetrics, toCsv } from '../metrics/query.js';

export type AgentEnv = { Variables: { agent: AgentActor & { email: string; role: 'admin' | 'agent' } } };

export interface AgentApiOptions {
  db: Kysely<Database>;
  dialect: Dialect;
  auth: Auth;
  service: ConversationService;
  presence: Presence;
  /** Closes an agent's sockets, except those opened with the given session. */
  disconnectAgent: (agentId: string, keepSessionHash?: string) => void;
  parse: <T>(c: Context<AgentEnv>, schema: z.ZodType<T>) => Promise<T>;
}

const listQuery = z.object({
  status: z.enum(['queued', 'assigned', 'resolved', 'bot', 'all']).default('all'),
  mine: z.enum(['0', '1']).optional(),
  q: z.string().max(200).optional(),
  label: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(0).optional(),
});
const label = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'letters, digits, space, _ . -');
const password = z.string().min(8, 'at least 8 characters').max(1024);

export function mountAgentApi(
  app: Hono<AgentEnv>,
  { db, dialect, auth, service, presence, disconnectAgent, parse }: AgentApiOptions,
): void {
  const requireAdmin = (c: Context<AgentEnv>) => {
    if (c.get('agent').role !== 'admin') throw new ServusError(ErrorCode.FORBIDDEN, 'Only admins may do this.');
  };

  async function views(rows: ConversationRow[]): Promise<ConversationView[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const last = await db
      .selectFrom('events as e')
      .innerJoin(
        (eb) =>
          eb
            .selectFrom('events')
            .select((x) => ['conversation_id', x.fn.max('seq').as('s')])
            .where('conversation_id', 'in', ids)
            .where('kind', '=', 'message')
            .groupBy('conversation_id')
            .as('m'),
        (j) => j.onRef('m.conversation_id', '=', 'e.conversation_id').onRef('m.s', '=', 'e.seq'),
      )
      .select(['e.conversation_id', 'e.text', 'e.created_at', 'e.author_type'])
      .execute();
    const lastBy = new Map(last.map((l) => [l.conversation_id, l]));
    const visitors = await db
      .selectFrom('visitors')
      .select(['id', 'name', 'email', 'verified'])
      .where(
        'id',
        'in',
        rows.map((r) => r.visitor_id),
      )
      .execute();
    const visitorBy = new Map(visitors.map((v) => [v.id, v]));
    const agentRows = await db.selectFrom('agents').select(['id', 'name']).execute();
    const agentBy = new Map(agentRows.map((a) => [a.id, a.name]));
    return rows.map((row) => {
      const l = lastBy.get(row.id);
      const v = visitorBy.get(row.visitor_id);
      return toView(row, 'agent', {
        assigneeName: row.assignee_id ? (agentBy.get(row.assignee_id) ?? null) : null,
        lastMessage: l ? { text: l.text.slice(0, 200), at: l.created_at, author: l.author_type } : null,
        visitor: {
          id: row.visitor_id,
          ...(v?.name ? { name: v.name } : {}),
          ...(v?.email ? { email: v.email } : {}),
          verified: v?.verified === 1,
        },
      });
    });
  }

  app.get('/api/conversations', async (c) => {
    const agent = c.get('agent');
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ServusError(ErrorCode.BAD_FRAME, `${issue?.path.join('.')}: ${issue?.message}`, { path: issue?.path.join('.') ?? '' });
    }
    const f = parsed.data;
    if (!agent.siteKeys.length) return c.json({ conversations: [] } satisfies ConversationListResponse);
    let q = db.selectFrom('conversations').selectAll('conversations').where('conversations.site_key', 'in', agent.siteKeys);
    if (f.status !== 'all') q = q.where('conversations.status', '=', f.status);
    if (f.mine === '1') q = q.where('conversations.assignee_id', '=', agent.id);
    if (f.before !== undefined) q = q.where('conversations.updated_at', '<', f.before);
    if (f.label)
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('conversation_labels as l')
            .select('l.label')
            .whereRef('l.conversation_id', '=', 'conversations.id')
            .where('l.label', '=', f.label!),
        ),
      );
    if (f.q?.trim()) {
      const pattern = `%${f.q.trim().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
      const op = dialect === 'postgres' ? 'ilike' : 'like';
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('events as e')
            .select('e.id')
            .whereRef('e.conversation_id', '=', 'conversations.id')
            .where('e.kind', 'in', ['message', 'note'])
            .where(sql<boolean>`e.text ${sql.raw(op)} ${pattern} escape '\\'`),
        ),
      );
    }
    const order = f.status === 'queued' ? 'asc' : 'desc';
    const rows = await q
      .orderBy(f.status === 'queued' ? 'conversations.queued_at' : 'conversations.updated_at', order)
      .limit(f.limit)
      .execute();
    return c.json({ conversations: await views(rows) } satisfies ConversationListResponse);
  });

  app.get('/api/conversations/:id', async (c) => {
    const conv = await service.agentConversation(c.get('agent'), c.req.param('id'));
    const visitor = await db.selectFrom('visitors').selectAll().where('id', '=', conv.visitor_id).executeTakeFirstOrThrow();
    const earlierRows = await db
      .selectFrom('conversations')
      .selectAll()
      .where('visitor_id', '=', conv.visitor_id)
      .where('id', '!=', conv.id)
      .orderBy('created_at', 'desc')
      .limit(20)
      .execute();
    const labels = await db
      .selectFrom('conversation_labels')
      .select('label')
      .where('conversation_id', '=', conv.id)
      .orderBy('label')
      .execute();
    let context: Record<string, unknown> = {};
    try {
      context = JSON.parse(visitor.context) as Record<string, unknown>;
    } catch {
      /* stored by us; keep empty if ever unreadable */
    }
    return c.json({
      conversation: await service.viewFor(conv, 'agent'),
      visitor: {
        id: visitor.id,
        name: visitor.name,
        email: visitor.email,
        externalId: visitor.verified ? visitor.external_id : null,
        verified: visitor.verified === 1,
        context,
        createdAt: visitor.created_at,
        lastSeenAt: visitor.last_seen_at,
      },
      earlier: await views(earlierRows),
      labels: labels.map((l) => l.label),
    } satisfies ConversationDetail);
  });

  app.put('/api/conversations/:id/labels', async (c) => {
    const conv = await service.agentConversation(c.get('agent'), c.req.param('id'));
    const body = await parse(c, z.object({ labels: z.array(label).max(20) }));
    const labels = [...new Set(body.labels)].sort();
    await db.transaction().execute(async (tx) => {
      await tx.deleteFrom('conversation_labels').where('conversation_id', '=', conv.id).execute();
      if (labels.length)
        await tx
          .insertInto('conversation_labels')
          .values(labels.map((l) => ({ conversation_id: conv.id, label: l })))
          .execute();
    });
    return c.json({ labels } satisfies ConversationLabelsResponse);
  });

  // ---- what the bot could not answer, most asked first
  app.get('/api/sites/:key/bot/unanswered', async (c) => {
    const key = c.req.param('key');
    if (!c.get('agent').siteKeys.includes(key)) throw notFound('site');
    const rows = await db
      .selectFrom('unanswered_questions')
      .select(['text', 'lang', 'count', 'first_at', 'last_at', 'last_conversation_id'])
      .where('site_key', '=', key)
      .orderBy('count', 'desc')
      .orderBy('last_at', 'desc')
      .limit(200)
      .execute();
    return c.json({
      questions: rows.map((r) => ({
        text: r.text,
        lang: r.lang,
        count: r.count,
        firstAt: r.first_at,
        lastAt: r.last_at,
        lastConversationId: r.last_conversation_id,
      })),
    } satisfies UnansweredListResponse);
  });

  // ---- service metrics (docs/metrics.md)
  app.get('/api/metrics', async (c) => {
    const agent = c.get('agent');
    const parsed = z
      .object({
        from: z.coerce.number().int().min(0).optional(),
        to: z.coerce.number().int().min(0).optional(),
        site: z.string().max(64).optional(),
        // One grouping, or several comma-separated (one read of the log; `groups` holds the first).
        groupBy: z
          .string()
          .max(40)
          .transform((v) => v.split(','))
          .pipe(
            z
              .array(z.enum(['day', 'hour', 'site', 'agent', 'lang']))
              .min(1)
              .max(5),
          )
          .optional(),
        timeZone: z.string().max(64).optional(),
        // Without it, each site's own target (settings.serviceLevel) counts, else 60 s.
        slaSeconds: z.coerce.number().int().min(1).max(86_400).optional(),
        format: z.enum(['json', 'csv']).default('json'),
      })
      .safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ServusError(ErrorCode.BAD_FRAME, `${issue?.path.join('.')}: ${issue?.message}`, { path: issue?.path.join('.') ?? '' });
    }
    const f = parsed.data;
    if (f.timeZone) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: f.timeZone });
      } catch {
        throw new ServusError(ErrorCode.BAD_FRAME, 'timeZone: unknown time zone', { path: 'timeZone' });
      }
    }
    const to = f.to ?? Date.now();
    const from = f.from ?? to - 30 * 86_400_000;
    const siteKeys = f.site ? agent.siteKeys.filter((k) => k === f.site) : agent.siteKeys;
    if (f.site && !siteKeys.length) throw notFound('site');
    const report = await loadMetrics(db, {
      siteKeys,
      from,
      to,
      groupBy: f.groupBy,
      timeZone: f.timeZone,
      serviceLevel: f.slaSeconds ? { firstResponseSeconds: f.slaSeconds } : undefined,
    });
    if (f.format === 'csv') {
      c.header('Content-Type', 'text/csv; charset=utf-8');
      c.header(
        'Content-Disposition',
        `attachment; filename="servus-metrics-${new Date(from).toISOString().slice(0, 10)}-${new Date(to).toISOString().slice(0, 10)}.csv"`,
      );
      return c.body(toCsv(report));
    }
    return c.json(report);
  });

  // ---- canned responses
  app.get('/api/canned', async (c) =>
    c.json({
      canned: await db.selectFrom('canned_responses').select(['id', 'shortcut', 'text']).orderBy('shortcut').execute(),
    } satisfies CannedListResponse),
  );
  app.post('/api/canned', async (c) => {
    const body = await parse(
      c,
      z.object({
        shortcut: z
          .string()
          .min(1)
          .max(64)
          .regex(/^[a-z0-9_-]+$/i, 'letters, digits, _ or -'),
        text: z.string().trim().min(1).max(4000),
      }),
    );
    const existing = await db.selectFrom('canned_responses').select('id').where('shortcut', '=', body.shortcut).executeTakeFirst();
    if (existing) throw new ServusError(ErrorCode.CONFLICT, `The shortcut /${body.shortcut} exists already.`, { path: 'shortcut' });
    const row = { id: randomId('cr'), shortcut: body.shortcut, text: body.text, created_by: c.get('agent').id, created_at: Date.now() };
    await db.insertInto('canned_responses').values(row).execute();
    return c.json({ canned: { id: row.id, shortcut: row.shortcut, text: row.text } } satisfies CannedCreatedResponse, 201);
  });
  app.delete('/api/canned/:id', async (c) => {
    const res = await db.deleteFrom('canned_responses').where('id', '=', c.req.param('id')).executeTakeFirst();
    if (!Number(res.numDeletedRows)) throw notFound('canned response');
    return c.json({ ok: true });
  });

  // ---- agents
  app.get('/api/agents', async (c) => {
    const me = c.get('agent');
    const rows = await db
      .selectFrom('agents')
      .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
      .select(['agents.id', 'agents.name', 'agents.email', 'agents.role', 'agents.capacity'])
      .where('agent_sites.site_key', 'in', me.siteKeys.length ? me.siteKeys : [''])
      .distinct()
      .execute();
    const open = await db
      .selectFrom('conversations')
      .select((eb) => ['assignee_id', eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'assigned')
      .groupBy('assignee_id')
      .execute();
    const openBy = new Map(open.map((o) => [o.assignee_id, Number(o.n)]));
    return c.json({
      agents: rows
        .map((a) => ({ ...a, status: presence.status(a.id), openChats: openBy.get(a.id) ?? 0 }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    } satisfies AgentListResponse);
  });
  app.post('/api/agents', async (c) => {
    requireAdmin(c);
    const body = await parse(
      c,
      z.object({
        name: z.string().trim().min(1).max(200),
        email: z.email().max(254),
        role: z.enum(['admin', 'agent']).default('agent'),
        password,
        capacity: z.number().int().min(1).max(50).default(3),
      }),
    );
    const created = await createAgent(db, { ...body, siteKeys: c.get('agent').siteKeys });
    return c.json({ agent: created } satisfies AgentCreatedResponse, 201);
  });
  app.delete('/api/agents/:id', async (c) => {
    requireAdmin(c);
    const id = c.req.param('id');
    if (id === c.get('agent').id) throw new ServusError(ErrorCode.INVALID_STATE, 'You cannot remove yourself.');
    const target = await db.selectFrom('agents').select('id').where('id', '=', id).executeTakeFirst();
    if (!target) throw notFound('agent');
    disconnectAgent(id);
    await service.returnToQueue(id);
    await db.deleteFrom('agents').where('id', '=', id).execute();
    return c.json({ ok: true });
  });

  // ---- own password: ends every other session and socket of this agent
  app.post('/api/auth/password', async (c) => {
    const agent = c.get('agent');
    const body = await parse(c, z.object({ current: z.string().min(1).max(1024), next: password }));
    const row = await db.selectFrom('agents').select('password_hash').where('id', '=', agent.id).executeTakeFirstOrThrow();
    if (!(await verifyPassword(body.current, row.password_hash)))
      throw new ServusError(ErrorCode.FORBIDDEN, 'The current password is wrong.', { path: 'current' });
    const keep = hashToken(getCookie(c, SESSION_COOKIE) ?? '');
    await db
      .updateTable('agents')
      .set({ password_hash: await hashPassword(body.next) })
      .where('id', '=', agent.id)
      .execute();
    await db.deleteFrom('sessions').where('agent_id', '=', agent.id).where('token_hash', '!=', keep).execute();
    disconnectAgent(agent.id, keep);
    void auth;
    return c.json({ ok: true });
  });
}

export async function createAgent(
  db: Kysely<Database>,
  input: { name: string; email: string; role: 'admin' | 'agent'; password: string; capacity?: number; siteKeys: string[] },
): Promise<{ id: string; name: string; email: string; role: 'admin' | 'agent'; capacity: number }> {
  const email = input.email.toLowerCase();
  if (await db.selectFrom('agents').select('id').where('email', '=', email).executeTakeFirst()) {
    throw new ServusError(ErrorCode.CONFLICT, 'An agent with this email exists already.', { path: 'email' });
  }
  const row = {
    id: randomId('a'),
    email,
    name: input.name,
    role: input.role,
    password_hash: await hashPassword(input.password),
    capacity: input.capacity ?? 3,
    failed_logins: 0,
    locked_until: null,
    created_at: Date.now(),
  };
  await db.insertInto('agents').values(row).execute();
  if (input.siteKeys.length)
    await db
      .insertInto('agent_sites')
      .values(input.siteKeys.map((k) => ({ agent_id: row.id, site_key: k })))
      .execute();
  return { id: row.id, name: row.name, email: row.email, role: row.role, capacity: row.capacity };
}
