// Frames sent to one socket in the same turn of the event loop leave in one write (one syscall)
// instead of one each. After a commit, a message's ack, its echo to the sender and the peer's copy
// are sent a few promise steps apart; from another instance, a batch's frames are delivered in the
// Redis callback and the acks its answers release in the promises after it. Corking the socket
// until the loop's check phase (setImmediate: after every I/O callback of this turn and all the
// microtasks they queued) merges them without changing the protocol (still separate frames, same
// order). The poll phase does not wait while an immediate is pending, so nothing is held longer
// than the rest of the turn.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export interface WriteCoalescer {
  /** Holds this socket's writes until this turn of the event loop's callbacks and microtasks have run. */
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
        setImmediate(release);
      }
    },
  };
}
