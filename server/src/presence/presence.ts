// Which agents are online, per site, across every instance: an agent is online while one of their
// sockets, on any instance, says so.
//
// The database is the truth: each agent socket is a row of `presence_connections` written by the
// instance that holds it, and each instance a row of `instances` with a heartbeat. Every instance
// keeps the whole picture in memory (read synchronously: a queue's expected wait needs it inside a
// write), updated at once by news through the hub and reloaded from the database every
// `refreshMs`, so a lost message (a Redis outage) costs at most one refresh. An instance whose
// heartbeat is older than `instanceTimeoutMs` is dead: any instance removes its rows, and its agents
// go offline everywhere (their chats then return to the queue after the grace period).
import type { Kysely } from 'kysely';
import type { Logger } from '../core/logger.js';
import type { Hub } from '../pubsub/hub.js';
import type { Database } from '../storage/schema.js';

export type AgentStatus = 'online' | 'away' | 'offline';

export type PresenceListener = (siteKeys: string[], agentId: string, online: boolean) => void;

export interface Presence {
  join(agentId: string, siteKeys: string[], connId: string, status: AgentStatus): void;
  setStatus(agentId: string, connId: string, status: AgentStatus): void;
  leave(agentId: string, connId: string): void;
  online(siteKey: string): number;
  /** Ids of the agents online for a site. */
  onlineAgents(siteKey: string): string[];
  status(agentId: string): AgentStatus;
  /** Told, on every instance, when an agent's online state changes anywhere. */
  onChange(listener: PresenceListener): () => void;
}

export interface SharedPresence extends Presence {
  /** Registers this instance and loads the picture; then keeps both fresh. */
  start(): Promise<void>;
  /** Removes this instance and its sockets' rows. */
  stop(): Promise<void>;
  /** Heartbeat, removal of dead instances, reload (the timer does it; tests call it). */
  refresh(): Promise<void>;
  /** Resolves when this instance's writes so far are in the database. */
  flushed(): Promise<void>;
}

export interface PresenceOptions {
  db: Kysely<Database>;
  hub: Hub;
  /** This instance's id (unique across instances). */
  instanceId: string;
  logger?: Logger | undefined;
  now?: () => number;
  /** How often the heartbeat is written and the picture reloaded (ms). */
  refreshMs?: number;
  /** An instance whose heartbeat is older than this is dead (ms). */
  instanceTimeoutMs?: number;
}

interface Connection {
  agentId: string;
  instanceId: string;
  status: AgentStatus;
  siteKeys: string[];
}

type News = { op: 'set'; connId: string; connection: Connection } | { op: 'leave'; connId: string; instanceId: string } | { op: 'reload' };

const CHANNEL = 'presence';

export function createPresence({
  db,
  hub,
  instanceId,
  logger,
  now = Date.now,
  refreshMs = 5000,
  instanceTimeoutMs = 20_000,
}: PresenceOptions): SharedPresence {
  const connections = new Map<string, Connection>();
  const listeners = new Set<PresenceListener>();
  /** Per socket: its writes in order (a leave never overtakes its join). */
  const writes = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;

  const isOnline = (agentId: string) => {
    for (const c of connections.values()) if (c.agentId === agentId && c.status === 'online') return true;
    return false;
  };
  const sitesOf = (agentId: string) => {
    const keys = new Set<string>();
    for (const c of connections.values()) if (c.agentId === agentId) for (const k of c.siteKeys) keys.add(k);
    return [...keys];
  };
  /** Runs a change of the picture and tells the listeners whose agents went online or offline. */
  function change(apply: () => void): void {
    const before = new Map<string, { online: boolean; sites: string[] }>();
    for (const c of connections.values())
      if (!before.has(c.agentId)) before.set(c.agentId, { online: isOnline(c.agentId), sites: sitesOf(c.agentId) });
    apply();
    const agents = new Set([...before.keys(), ...[...connections.values()].map((c) => c.agentId)]);
    for (const agentId of agents) {
      const was = before.get(agentId)?.online ?? false;
      const is = isOnline(agentId);
      if (was === is) continue;
      const sites = is ? sitesOf(agentId) : (before.get(agentId)?.sites ?? []);
      for (const listener of listeners) {
        try {
          listener(sites, agentId, is);
        } catch (err) {
          logger?.error({ err }, 'presence listener failed');
        }
      }
    }
  }

  function write(connId: string, op: () => Promise<unknown>): void {
    const next = (writes.get(connId) ?? Promise.resolve())
      .then(op)
      .then(
        () => {},
        (err: unknown) => logger?.warn({ err, connId }, 'presence write failed; the next refresh repairs it'),
      )
      .finally(() => {
        if (writes.get(connId) === next) writes.delete(connId);
      });
    writes.set(connId, next);
  }

  function set(agentId: string, siteKeys: string[], connId: string, status: AgentStatus): void {
    const connection: Connection = { agentId, instanceId, status, siteKeys };
    change(() => connections.set(connId, connection));
    const row = {
      conn_id: connId,
      instance_id: instanceId,
      agent_id: agentId,
      status,
      site_keys: JSON.stringify(siteKeys),
      updated_at: now(),
    };
    write(connId, () =>
      db
        .insertInto('presence_connections')
        .values(row)
        .onConflict((oc) => oc.column('conn_id').doUpdateSet({ status, site_keys: row.site_keys, updated_at: row.updated_at }))
        .execute(),
    );
    hub.broadcast(CHANNEL, { op: 'set', connId, connection } satisfies News);
  }

  async function refresh(): Promise<void> {
    const t = now();
    await db
      .insertInto('instances')
      .values({ id: instanceId, started_at: t, heartbeat_at: t })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: t }))
      .execute();
    const dead = await db
      .selectFrom('instances')
      .select('id')
      .where('heartbeat_at', '<', t - instanceTimeoutMs)
      .execute();
    if (dead.length) {
      const ids = dead.map((d) => d.id);
      await db.deleteFrom('presence_connections').where('instance_id', 'in', ids).execute();
      await db.deleteFrom('instances').where('id', 'in', ids).execute();
      logger?.warn({ instances: ids }, 'instances without a heartbeat removed; their agents are offline');
    }
    const rows = await db.selectFrom('presence_connections').selectAll().execute();
    change(() => {
      // Our own sockets are known here first-hand; rows of ours not written yet must not erase them.
      for (const [connId, c] of connections) if (c.instanceId !== instanceId) connections.delete(connId);
      for (const row of rows) {
        if (row.instance_id === instanceId) continue;
        connections.set(row.conn_id, {
          agentId: row.agent_id,
          instanceId: row.instance_id,
          status: row.status as AgentStatus,
          siteKeys: JSON.parse(row.site_keys) as string[],
        });
      }
    });
  }

  const offNews = hub.onBroadcast(CHANNEL, (data) => {
    const news = data as News;
    if (news.op === 'reload') return void refresh().catch((err: unknown) => logger?.warn({ err }, 'presence refresh failed'));
    if (news.op === 'set' && news.connection.instanceId !== instanceId) change(() => connections.set(news.connId, news.connection));
    if (news.op === 'leave' && news.instanceId !== instanceId) change(() => connections.delete(news.connId));
  });
  // News may have been lost while Redis was away: reload.
  const offResync = hub.onResync(() => void refresh().catch((err: unknown) => logger?.warn({ err }, 'presence refresh failed')));

  function onlineAgents(siteKey: string): string[] {
    const ids = new Set<string>();
    for (const c of connections.values()) if (c.status === 'online' && c.siteKeys.includes(siteKey)) ids.add(c.agentId);
    return [...ids];
  }

  return {
    join: set,
    setStatus(agentId, connId, status) {
      const c = connections.get(connId);
      if (!c || c.agentId !== agentId) return;
      set(agentId, c.siteKeys, connId, status);
    },
    leave(agentId, connId) {
      if (!connections.has(connId)) return;
      change(() => connections.delete(connId));
      write(connId, () => db.deleteFrom('presence_connections').where('conn_id', '=', connId).execute());
      hub.broadcast(CHANNEL, { op: 'leave', connId, instanceId } satisfies News);
    },
    online: (siteKey) => onlineAgents(siteKey).length,
    onlineAgents,
    status(agentId) {
      let away = false;
      for (const c of connections.values()) {
        if (c.agentId !== agentId) continue;
        if (c.status === 'online') return 'online';
        if (c.status === 'away') away = true;
      }
      return away ? 'away' : 'offline';
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await refresh();
      timer = setInterval(() => void refresh().catch((err: unknown) => logger?.warn({ err }, 'presence refresh failed')), refreshMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      offNews();
      offResync();
      await Promise.all(writes.values());
      await db.deleteFrom('presence_connections').where('instance_id', '=', instanceId).execute();
      await db.deleteFrom('instances').where('id', '=', instanceId).execute();
    },
    refresh,
    async flushed() {
      await Promise.all(writes.values());
    },
  };
}
