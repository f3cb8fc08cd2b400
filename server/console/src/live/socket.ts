// The console's connection to /ws/agent: shared/'s reconnecting socket (backoff, connect timeout,
// bounded outbox) with commands as promises. Every command settles exactly once: with its ack, the
// error frame of its cid, or locally (outbox full, no answer within the command timeout, logged
// out), so a Send button can never stay busy. The store resyncs after every (re)open (onOpen).
import {
  createReconnectingSocket,
  type AckFrame,
  type AgentFrame,
  type AgentServerFrame,
  type CommandResult,
  type ReconnectingSocket,
  type ReconnectingSocketOptions,
} from '@servus/shared';

/** An agent frame that is a command: it has a cid and is answered with an ack or an error. */
export type AgentCommand = Extract<AgentFrame, { cid: string }>;

/** A command that failed: the server's error code, or the socket's own (OUTBOX_FULL, TIMEOUT, CLOSED). */
export class CommandError extends Error {
  constructor(
    readonly code: Exclude<CommandResult, { ok: true }>['code'],
    message: string,
  ) {
    super(message);
  }
}

export interface LiveSocket extends ReconnectingSocket<AgentFrame> {
  /** Sends a command (kept while offline) and resolves with its ack, or rejects with a CommandError. */
  command(frame: AgentCommand): Promise<AckFrame>;
}

export type LiveSocketOptions = Omit<ReconnectingSocketOptions<AgentFrame, AgentServerFrame>, 'onSettled' | 'storage' | 'storageKey'>;

export function createLiveSocket(options: LiveSocketOptions): LiveSocket {
  const waiting = new Map<string, (result: CommandResult) => void>();
  const socket = createReconnectingSocket<AgentFrame, AgentServerFrame>({
    // The console's context reconnects on `online` itself (at once, even if the socket looks open).
    events: null,
    ...options,
    onSettled(item, result) {
      const cid = item.cid!;
      waiting.get(cid)?.(result);
      waiting.delete(cid);
    },
  });
  return Object.assign(socket, {
    command(frame: AgentCommand): Promise<AckFrame> {
      return new Promise<AckFrame>((resolve, reject) => {
        waiting.set(frame.cid, (result) =>
          result.ok ? resolve(result.ack) : reject(new CommandError(result.code, result.error?.message ?? result.code)),
        );
        socket.send(frame);
      });
    },
  });
}
