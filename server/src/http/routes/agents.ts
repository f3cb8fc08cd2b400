// /api/agents: the team of the agent's sites with their status and load; admins add and remove agents.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { ErrorCode, type AgentCreatedResponse, type AgentListResponse, type AgentRow, type AgentUpdatedResponse } from '@servus/shared';
import type { SessionAgent } from '../../core/actors.js';
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
  /** Sessions were ended here: their sockets close now rather than at the next check. */
  sessionEnded?: (() => void) | undefined;
  /** An agent's account changed: every instance refreshes its sockets of them. */
  agentChanged?: ((agentId: string) => void) | undefined;
}

const agentUpdateSchema = z
  .object({
    name: storableString().trim().min(1).max(200).optional(),
    role: z.enum(['admin', 'agent']).optional(),
    capacity: z.number().int().min(1).max(50).optional(),
    siteKeys: z.array(z.string().max(64)).max(200).optional(),
    active: z.boolean().optional(),
  })
  .strict();

export function agentRoutes({ db, presence, commands, disconnectAgent, sessionEnded, agentChanged, audit }: AgentRoutesOptions) {
  const app = new Hono<Env>();
  /** The agents of the caller's sites, as `GET /api/agents` lists them (or just `onlyId`). */
  async function rows(me: SessionAgent, onlyId?: string): Promise<AgentRow[]> {
    let query = db
      .selectFrom('agents')
      .innerJoin('agent_sites', 'agent_sites.agent_id', 'agents.id')
      .select(['agents.id', 'agents.name', 'agents.email', 'agents.role', 'agents.capacity', 'agents.initials', 'agents.active'])
      .where('agent_sites.site_key', 'in', me.siteKeys.length ? me.siteKeys : [''])
      .distinct();
    if (onlyId) query = query.where('agents.id', '=', onlyId);
    const found = await query.execute();
    const ids = found.map((a) => a.id);
    const open = await db
      .selectFrom('conversations')
      .select((eb) => ['assignee_id', eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'assigned')
      .groupBy('assignee_id')
      .execute();
    const openBy = new Map(open.map((o) => [o.assignee_id, Number(o.n)]));
    const sites = ids.length
      ? await db.selectFrom('agent_sites').select(['agent_id', 'site_key']).where('agent_id', 'in', ids).execute()
      : [];
    // Admins see every site of an agent; other agents only the sites they share.
    const visible = (key: string) => me.role === 'admin' || me.siteKeys.includes(key);
    return found
      .map((a) => ({
        id: a.id,
        name: a.name,
        email: a.email,
        role: a.role,
        capacity: a.capacity,
        initials: a.initials,
        active: Boolean(a.active),
        status: a.active ? presence.status(a.id) : ('offline' as const),
        openChats: openBy.get(a.id) ?? 0,
        siteKeys: sites
          .filter((r) => r.agent_id === a.id && visible(r.site_key))
          .map((r) => r.site_key)
          .sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  app.get('/', async (c) => c.json({ agents: await rows(c.get('agent')) } satisfies AgentListResponse));
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
  // An admin edits an agent. A change of role or sites, or a deactivation, ends the agent's
  // sessions: their sockets close with 1008 on every instance (realtime/session-check.ts) and they
  // log in again with their new rights. A new name or capacity applies at once.
  app.patch('/:id', async (c) => {
    requireAdmin(c);
    const me = c.get('agent');
    const id = c.req.param('id');
    const body = await parseJson(c, agentUpdateSchema);
    const [target] = await rows(me, id);
    if (!target) throw notFound('agent');
    if (id === me.id && ((body.role && body.role !== me.role) || body.active === false))
      throw new ServusError(ErrorCode.INVALID_STATE, 'You cannot change your own role or deactivate yourself.', {
        path: body.active === false ? 'active' : 'role',
      });
    const foreign = body.siteKeys?.find((k) => !me.siteKeys.includes(k));
    if (foreign !== undefined) throw new ServusError(ErrorCode.FORBIDDEN, `You do not manage the site ${foreign}.`, { path: 'siteKeys' });
    const current = await db.selectFrom('agent_sites').select('site_key').where('agent_id', '=', id).execute();
    const before = current.map((r) => r.site_key);
    // Sites the admin does not manage stay as they are.
    const nextSites = body.siteKeys ? [...new Set([...before.filter((k) => !me.siteKeys.includes(k)), ...body.siteKeys])].sort() : before;
    const sitesChanged = nextSites.join() !== [...before].sort().join();
    const ends = (body.role !== undefined && body.role !== target.role) || sitesChanged || (body.active === false && target.active);
    await db.transaction().execute(async (tx) => {
      const set = {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.role !== undefined ? { role: body.role } : {}),
        ...(body.capacity !== undefined ? { capacity: body.capacity } : {}),
        ...(body.active !== undefined ? { active: body.active ? 1 : 0 } : {}),
      };
      if (Object.keys(set).length) await tx.updateTable('agents').set(set).where('id', '=', id).execute();
      if (sitesChanged) {
        await tx.deleteFrom('agent_sites').where('agent_id', '=', id).execute();
        if (nextSites.length)
          await tx
            .insertInto('agent_sites')
            .values(nextSites.map((k) => ({ agent_id: id, site_key: k })))
            .execute();
      }
      if (ends) await tx.deleteFrom('sessions').where('agent_id', '=', id).execute();
    });
    if (ends) {
      disconnectAgent(id);
      sessionEnded?.();
    }
    if (body.active === false && target.active) await commands.returnToQueue(id);
    agentChanged?.(id);
    const [agent] = await rows(me, id);
    // Without any of the admin's sites left the agent is no longer theirs to list: answer from the database.
    return c.json({
      agent: agent ?? { ...target, ...body, siteKeys: nextSites, active: body.active ?? target.active },
    } satisfies AgentUpdatedResponse);
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
