// The browser clients' socket core (widget and console): one backoff, one cid generator, one
// reconnecting socket with a bounded outbox that settles every command.
export { backoffDelay } from './backoff.js';
export { newCid } from './cid.js';
export { createReconnectingSocket, CommandFailure } from './reconnecting-socket.js';
export type {
  CommandResult,
  OutboxItem,
  OutgoingFrame,
  ReconnectingSocket,
  ReconnectingSocketOptions,
  SocketStatus,
  SocketStorage,
  SocketTimers,
} from './reconnecting-socket.js';
