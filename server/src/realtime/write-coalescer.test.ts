import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { createWriteCoalescer } from './write-coalescer.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function pair(): Promise<{ serverSide: WebSocket; client: WebSocket }> {
  server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const client = new WebSocket(`ws://127.0.0.1:${(server!.address() as AddressInfo).port}`, { perMessageDeflate: false });
  await new Promise((r) => client.once('open', r));
  return { serverSide: await accepted, client };
}

/** How many writes (syscalls) the server side's socket makes from now on. */
function countWrites(serverSide: WebSocket): () => number {
  const socket = (serverSide as unknown as { _socket: { _writev: (...a: unknown[]) => unknown; _write: (...a: unknown[]) => unknown } })
    ._socket;
  let writes = 0;
  for (const method of ['_writev', '_write'] as const) {
    const original = socket[method].bind(socket);
    socket[method] = (...a: unknown[]) => {
      writes += 1;
      return original(...a);
    };
  }
  return () => writes;
}

/** The first n messages the client receives. */
function received(client: WebSocket, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) =>
    client.on('message', (d) => {
      got.push(d.toString());
      if (got.length === n) resolve(got);
    }),
  );
}

describe('write coalescer', () => {
  it('sends the frames of one tick in one write, in order, as separate frames', async () => {
    const { serverSide, client } = await pair();
    const writes = countWrites(serverSide);
    const all = received(client, 3);
    const coalescer = createWriteCoalescer();
    await Promise.resolve().then(() => {
      for (const frame of ['{"n":1}', '{"n":2}', '{"n":3}']) {
        coalescer.hold(serverSide);
        serverSide.send(frame);
      }
    });
    expect(await all).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(writes()).toBe(1);
    client.close();
  });

  it('sends a callback’s frames and those of the promises it resolves in one write', async () => {
    const { serverSide, client } = await pair();
    const writes = countWrites(serverSide);
    const all = received(client, 2);
    const coalescer = createWriteCoalescer();
    // As a batch from another instance: frames in the I/O callback itself, an ack a few promise steps later.
    setTimeout(() => {
      coalescer.hold(serverSide);
      serverSide.send('{"frame":1}');
      void Promise.resolve()
        .then(() => undefined)
        .then(() => {
          coalescer.hold(serverSide);
          serverSide.send('{"ack":1}');
        });
    }, 0);
    expect(await all).toEqual(['{"frame":1}', '{"ack":1}']);
    expect(writes()).toBe(1);
    client.close();
  });

  it('ignores a socket that is already gone', async () => {
    const { serverSide, client } = await pair();
    serverSide.terminate();
    await new Promise((r) => client.once('close', r));
    expect(() => createWriteCoalescer().hold(serverSide)).not.toThrow();
  });
});
