// Tests only: a WebSocket double that records what the console sends and lets a test play the server.
import type { AgentServerFrame, ReconnectingSocketOptions } from '@servus/shared';

export class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
    this.onclose?.();
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  receive(frame: AgentServerFrame) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  /** The frames sent, parsed. */
  frames(): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s) as Record<string, unknown>);
  }
}

/** The double where the socket options want a WebSocket constructor. */
export const FakeWebSocket = FakeSocket as unknown as NonNullable<ReconnectingSocketOptions<never>['WebSocket']>;
