// A TCP proxy between the instances and PostgreSQL, for fault tests: `cut()` drops every
// connection through it and refuses new ones until `restore()`, as a network partition or a
// firewall would; the PostgreSQL server itself (shared by every test) is never touched.
import { connect, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** The URL with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Drops every connection through the proxy and refuses new ones. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  /** Connections currently open through the proxy. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startTcpProxy({ host, port }: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const own = (server.address() as { port: number }).port;
  return {
    port: own,
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(own);
      return u.toString();
    },
    cut() {
      refusing = true;
      for (const [client, upstream] of pairs) {
        // A reset, not a FIN: the client's next read or write fails at once.
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      refusing = false;
    },
    get open() {
      return pairs.size;
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
