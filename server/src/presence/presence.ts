// Which agents are online, per site: an agent is online while one of their sockets says so.

export type AgentStatus = 'online' | 'away' | 'offline';

export interface Presence {
  join(agentId: string, siteKeys: string[], connId: string, status: AgentStatus): void;
  setStatus(agentId: string, connId: string, status: AgentStatus): void;
  leave(agentId: string, connId: string): void;
  online(siteKey: string): number;
  /** Ids of the agents online for a site. */
  onlineAgents(siteKey: string): string[];
  status(agentId: string): AgentStatus;
  onChange(listener: (siteKeys: string[], agentId: string, online: boolean) => void): () => void;
}

export function createPresence(): Presence {
  const agents = new Map<string, { siteKeys: string[]; conns: Map<string, AgentStatus> }>();
  const listeners = new Set<(siteKeys: string[], agentId: string, online: boolean) => void>();
  const notify = (siteKeys: string[], agentId: string, online: boolean) => {
    for (const l of listeners) l(siteKeys, agentId, online);
  };
  const isOnline = (a: { conns: Map<string, AgentStatus> }) => [...a.conns.values()].includes('online');
  return {
    join(agentId, siteKeys, connId, status) {
      const entry = agents.get(agentId) ?? { siteKeys, conns: new Map() };
      const before = isOnline(entry);
      entry.siteKeys = siteKeys;
      entry.conns.set(connId, status);
      agents.set(agentId, entry);
      if (before !== isOnline(entry)) notify(siteKeys, agentId, isOnline(entry));
    },
    setStatus(agentId, connId, status) {
      const entry = agents.get(agentId);
      if (!entry || !entry.conns.has(connId)) return;
      const before = isOnline(entry);
      entry.conns.set(connId, status);
      if (before !== isOnline(entry)) notify(entry.siteKeys, agentId, isOnline(entry));
    },
    leave(agentId, connId) {
      const entry = agents.get(agentId);
      if (!entry) return;
      const before = isOnline(entry);
      entry.conns.delete(connId);
      if (!entry.conns.size) agents.delete(agentId);
      if (before !== isOnline(entry)) notify(entry.siteKeys, agentId, isOnline(entry));
    },
    online(siteKey) {
      let n = 0;
      for (const a of agents.values()) if (a.siteKeys.includes(siteKey) && isOnline(a)) n += 1;
      return n;
    },
    onlineAgents(siteKey) {
      const ids: string[] = [];
      for (const [id, a] of agents) if (a.siteKeys.includes(siteKey) && isOnline(a)) ids.push(id);
      return ids;
    },
    status(agentId) {
      const entry = agents.get(agentId);
      if (!entry) return 'offline';
      return isOnline(entry) ? 'online' : [...entry.conns.values()].includes('away') ? 'away' : 'offline';
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
