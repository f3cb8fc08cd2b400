// Frames sent to one socket in the same turn of the event loop leave in one write (one syscall)
// instead of one each. After a commit, a message's ack, its echo to the sender and the peer's copy
// are all sent within one drain of the microtask queue: corking the socket until the next tick
// merges them without changing the protocol (still separate frames, same order).
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export interface WriteCoalescer {
  /** Holds this socket's writes until the current tick's callbacks and microtasks have run. */
  hold(ws: WebSocket): void;
}

export function createWriteCoalescer(): WriteCoalescer {
  const held = new Set<Duplex>();
  let scheduled = false;
  const release = () => {
    scheduled = false;
    for (const socket of held) socket.uncork();
    held.clear();
  };
  return {
    hold(ws) {
      // ws has no public cork; its underlying socket is the documented-in-source `_socket`.
      const socket = (ws as unknown as { _socket?: Duplex | null })._socket;
      if (!socket || held.has(socket) || socket.destroyed) return;
      socket.cork();
      held.add(socket);
      if (!scheduled) {
        scheduled = true;
        // nextTick runs once the current callback and every microtask it queued are done.
        process.nextTick(release);
      }
    },
  };
}
