// /api/agents: the team of the agent's sites with their status and load; admins add and remove agents.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { ErrorCode, type AgentCreatedResponse, type AgentListResponse } from '@servus/shared';
import { storableString } from '@servus/shared/schemas';
import type { Database } from '../../storage/schema.js';
import type { Commands } from '../../conversations/commands.js';
import type { Presence } from '../../presence/presence.js';
import { createAgent } from '../../auth/agents.js';
import { ServusError, notFound } from '../../core/errors.js';
import { parseJson, requireAdmin, type AuditHook, type Env } from '../toolkit.js';

export const passwordSchema = z.string().min(8, 'at least 8 characters').max(1024);

export interface AgentRoutesOptions {
  db: Kysely<Database>;
  presence: Presence;
  commands: Pick<Commands, 'returnToQueue'>;
  /** Closes an agent's sockets, except those opened with the given session. */
  disconnectAgent: (agentId: string, keepSessionHash?: string) => void;
  /** Agents added and removed go to the audit log. */
  audit?: AuditHook | undefined;
}

export function agentRoutes({ db, presence, commands, disconnectAgent, audit }: AgentRoutesOptions) {
  const app = new Hono<Env>();
  app.get('/', async (c) => {
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
  app.post('/', async (c) => {
    requireAdmin(c);
    const body = await parseJson(
      c,
      z.object({
        name: storableString().trim().min(1).max(200),
        email: z.email().max(254),
        role: z.enum(['admin', 'agent']).default('agent'),
        password: passwordSchema,
        capacity: z.number().int().min(1).max(50).default(3),
      }),
    );
    const created = await createAgent(db, { ...body, siteKeys: c.get('agent').siteKeys });
    await audit?.(c, { action: 'agent.create', subject: created.id, detail: { role: created.role } });
    return c.json({ agent: created } satisfies AgentCreatedResponse, 201);
  });
  app.delete('/:id', async (c) => {
    requireAdmin(c);
    const id = c.req.param('id');
    if (id === c.get('agent').id) throw new ServusError(ErrorCode.INVALID_STATE, 'You cannot remove yourself.');
    const target = await db.selectFrom('agents').select('id').where('id', '=', id).executeTakeFirst();
    if (!target) throw notFound('agent');
    disconnectAgent(id);
    await commands.returnToQueue(id);
    await db.deleteFrom('agents').where('id', '=', id).execute();
    await audit?.(c, { action: 'agent.remove', subject: id });
    return c.json({ ok: true });
  });
  return app;
}
