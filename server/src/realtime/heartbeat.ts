// Heartbeat: every socket is pinged once per interval, whatever the number of sockets, and is
// terminated only when a whole interval passed without its pong.
//
// Sockets sit in a timing wheel of interval ÷ tick slots; each tick visits one slot, so a slot (and
// every socket in it) comes round once per interval. New sockets go to the slots in turn, which
// spreads 4,000 sockets over the interval instead of pinging them in one tick (that held the event
// loop for about 50 ms). Ticks only ever run late, never early, so a busy server stretches the
// interval a socket has to answer in; it never shortens it.

export interface HeartbeatMember {
  ping(): void;
  terminate(): void;
}

export interface HeartbeatOptions {
  /** How often each socket is pinged; a socket gets one interval to answer. */
  intervalMs: number;
  /** How often a slot of the wheel is visited (at most the interval). */
  tickMs?: number;
  /** Called once per interval (rate limiters sweep their expired windows there). */
  onInterval?: () => void;
}

export interface Heartbeat {
  /** Starts pinging a socket (a \`ws\` WebSocket is a member as it is: no wrapper per socket). */
  add(member: HeartbeatMember): void;
  /** A pong came from the member. */
  pong(member: HeartbeatMember): void;
  remove(member: HeartbeatMember): void;
  stop(): void;
}

interface Entry {
  member: HeartbeatMember;
  /** Pinged, and no pong since. */
  awaiting: boolean;
  slot: number;
}

export function createHeartbeat({ intervalMs, tickMs = 100, onInterval }: HeartbeatOptions): Heartbeat {
  const tick = Math.min(tickMs, intervalMs);
  const wheel: Set<Entry>[] = Array.from({ length: Math.max(1, Math.round(intervalMs / tick)) }, () => new Set());
  const entries = new Map<HeartbeatMember, Entry>();
  let cursor = 0;
  let nextSlot = 0;

  const timer = setInterval(() => {
    const slot = wheel[cursor]!;
    for (const entry of slot) {
      if (entry.awaiting) {
        // A whole interval since its last ping and no pong: the peer is gone.
        slot.delete(entry);
        entries.delete(entry.member);
        entry.member.terminate();
        continue;
      }
      entry.awaiting = true;
      entry.member.ping();
    }
    cursor = (cursor + 1) % wheel.length;
    if (cursor === 0) onInterval?.();
  }, tick);
  timer.unref();

  return {
    add(member) {
      const entry: Entry = { member, awaiting: false, slot: nextSlot };
      nextSlot = (nextSlot + 1) % wheel.length;
      wheel[entry.slot]!.add(entry);
      entries.set(member, entry);
    },
    pong(member) {
      const entry = entries.get(member);
      if (entry) entry.awaiting = false;
    },
    remove(member) {
      const entry = entries.get(member);
      if (!entry) return;
      entries.delete(member);
      wheel[entry.slot]!.delete(entry);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
