// Load generator for `npm run bench`, run in its own process. Builds conversations (Servus: real
// visitors handed off and claimed by agents; baseline: rooms of two), then measures latency at a
// fixed rate, throughput in a closed loop, or opens idle sockets. Prints one JSON line.
import WebSocket from 'ws';

interface Args {
  target: 'servus' | 'bare';
  url: string;
  /**
   * A second instance (PostgreSQL + Redis): every other conversation spans both (its visitor on one
   * instance, its agent on the other), the rest stay on one instance, half on each.
   */
  url2?: string;
  /** With url2: false keeps every conversation on one instance (for comparison: no shared rows, no Redis hop). */
  spanning?: boolean;
  mode: 'latency' | 'throughput' | 'idle';
  conversations: number;
  rate?: number;
  seconds?: number;
  window?: number;
  cookie?: string;
  /** Logs each setup batch's step timings to stderr (diagnosing a slow or stuck setup). */
  trace?: boolean;
}

const args = JSON.parse(process.argv[2]!) as Args;
/**
 * Client ids are unique per run: the bench's agent is the same account in every phase, and a
 * command id it already used gets the stored ack back (exactly-once) instead of a new message, so
 * a later phase that reused "b1" or a claim's "c0" stalled in its closed loop.
 */
const RUN = Math.random().toString(36).slice(2, 8);
const wsUrl = args.url.replace(/^http/, 'ws');

interface Pair {
  a: WebSocket;
  b: WebSocket;
  conversationId: string;
}

function open(url: string, protocols: string[] = [], headers: Record<string, string> = {}, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, perMessageDeflate: false, ...(origin ? { origin } : {}) });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The next frame matching the predicate; fails (naming the step and the last frames) instead of hanging. */
function nextFrame(
  ws: WebSocket,
  predicate: (f: Record<string, unknown>) => boolean,
  step = 'frame',
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      ws.off('message', on);
      reject(new Error(`no ${step} within ${timeoutMs} ms (socket state ${ws.readyState}); last frames: ${seen.slice(-3).join(' | ')}`));
    }, timeoutMs);
    const on = (data: WebSocket.RawData) => {
      const text = data.toString();
      seen.push(text.slice(0, 200));
      const f = JSON.parse(text) as Record<string, unknown>;
      if (predicate(f)) {
        clearTimeout(timer);
        ws.off('message', on);
        resolve(f);
      }
    };
    ws.on('message', on);
  });
}

/** Setup step timings (ms) of the current batch, and requests against replies, for --trace. */
const steps = new Map<string, number[]>();
const counts = { handoffSent: 0, handoffAcked: 0, claimSent: 0, claimAcked: 0 };
async function timed<T>(step: string, p: Promise<T>): Promise<T> {
  const t0 = performance.now();
  const v = await p;
  if (args.trace) {
    if (!steps.has(step)) steps.set(step, []);
    steps.get(step)!.push(performance.now() - t0);
  }
  return v;
}

/** The instances a conversation's visitor and agent connect to. */
function placement(i: number): [string, string] {
  if (!args.url2) return [args.url, args.url];
  const [one, two] = [args.url, args.url2];
  if (args.spanning === false) return i % 2 === 0 ? [one, one] : [two, two];
  if (i % 2 === 0) return i % 4 === 0 ? [one, two] : [two, one];
  return i % 4 === 1 ? [one, one] : [two, two];
}

async function servusVisitor(url: string): Promise<{ ws: WebSocket; conversationId: string }> {
  const ws = await timed('visitor open', open(`${url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, ['servus.v1']));
  const welcome = nextFrame(ws, (f) => f.type === 'welcome', 'visitor welcome');
  ws.send(JSON.stringify({ type: 'visitor.hello' }));
  await timed('visitor welcome', welcome);
  const ack = nextFrame(ws, (f) => f.type === 'ack' || f.type === 'error', 'handoff ack');
  ws.send(JSON.stringify({ type: 'handoff.request', cid: 'h' }));
  counts.handoffSent += 1;
  const conversationId = (await timed('handoff ack', ack)).conversationId as string;
  counts.handoffAcked += 1;
  return { ws, conversationId };
}

async function setupServus(n: number): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i += 100) {
    const batchStart = performance.now();
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, async (_, k) => {
        const [visitorUrl, agentUrl] = placement(i + k);
        const v = await servusVisitor(visitorUrl);
        const agent = await timed(
          'agent open',
          open(`${agentUrl.replace(/^http/, 'ws')}/ws/agent`, ['servus.v1'], { cookie: args.cookie! }, agentUrl),
        );
        const welcome = nextFrame(agent, (f) => f.type === 'welcome', 'agent welcome');
        agent.send(JSON.stringify({ type: 'agent.hello' }));
        await timed('agent welcome', welcome);
        const claimed = nextFrame(agent, (f) => f.cid === `c${i + k}-${RUN}`, 'claim ack');
        agent.send(JSON.stringify({ type: 'conversation.claim', cid: `c${i + k}-${RUN}`, conversationId: v.conversationId }));
        counts.claimSent += 1;
        const claim = await timed('claim ack', claimed);
        counts.claimAcked += 1;
        if (claim.type !== 'ack') throw new Error(`claim failed: ${JSON.stringify(claim)}`);
        const replayed = nextFrame(agent, (f) => f.type === 'replay.done' || f.type === 'error', 'subscribe replay');
        agent.send(JSON.stringify({ type: 'conversation.subscribe', conversationId: v.conversationId, lastSeq: claim.seq as number }));
        await timed('subscribe replay', replayed);
        return { a: v.ws, b: agent, conversationId: v.conversationId };
      }),
    );
    pairs.push(...batch);
    if (args.trace) {
      const summary = [...steps].map(([step, ms]) => `${step} max ${Math.round(Math.max(...ms))}`).join(', ');
      console.error(`setup ${i + batch.length}: ${Math.round(performance.now() - batchStart)} ms; ${summary}; ${JSON.stringify(counts)}`);
      steps.clear();
    }
  }
  return pairs;
}

async function setupBare(n: number): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i += 200) {
    pairs.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(200, n - i) }, async (_, k) => {
          const room = `r${i + k}`;
          return { a: await open(`${wsUrl}/?room=${room}`), b: await open(`${wsUrl}/?room=${room}`), conversationId: room };
        }),
      )),
    );
  }
  return pairs;
}

/** Sends a message with a tag the receiver can find, on either system. */
function sender(pair: Pair, fromA: boolean, seq: { n: number }) {
  const ws = fromA ? pair.a : pair.b;
  const tag = `${fromA ? 'a' : 'b'}${seq.n++}-${RUN}`;
  if (args.target === 'bare')
    ws.send(JSON.stringify({ type: 'message.send', cid: tag, text: `bench ${tag} hello, this is a typical chat message` }));
  else
    ws.send(
      JSON.stringify({
        type: 'message.send',
        cid: tag,
        conversationId: pair.conversationId,
        text: `bench ${tag} hello, this is a typical chat message`,
      }),
    );
  return tag;
}

/**
 * Error frames during the load phases. A refused message never reaches its peer, so in the closed
 * loop its slot would stay taken and the loop would slow down without a word (the bench's one agent
 * account once ran into its rate limit that way): the run reports them and the orchestrator fails.
 */
const refused = { count: 0, first: '' };

/** Calls back with the tag of every bench message a socket receives. */
function onReceive(ws: WebSocket, cb: (tag: string) => void): void {
  ws.on('message', (data) => {
    const s = data.toString();
    if (s.startsWith('{"type":"error"')) {
      refused.count += 1;
      refused.first ||= s.slice(0, 300);
      return;
    }
    const i = s.indexOf('bench ');
    if (i < 0) return;
    if (args.target === 'servus' && !s.startsWith('{"type":"message.created"')) return;
    cb(s.slice(i + 6, s.indexOf(' ', i + 6)));
  });
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;

async function main(): Promise<void> {
  if (args.mode === 'idle') {
    const sockets: WebSocket[] = [];
    for (let i = 0; i < args.conversations; i += 250) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(250, args.conversations - i) }, async () => {
            if (args.target === 'bare') return open(`${wsUrl}/?room=idle${Math.random()}`);
            const ws = await open(`${wsUrl}/ws/visitor?site=demo`, ['servus.v1']);
            const welcome = nextFrame(ws, (f) => f.type === 'welcome');
            ws.send(JSON.stringify({ type: 'visitor.hello' }));
            await welcome;
            return ws;
          }),
        )),
      );
    }
    console.log(JSON.stringify({ idle: sockets.length }));
    // Keep them open until the orchestrator has measured and stops us.
    await new Promise(() => {});
    return;
  }
  const pairs = args.target === 'servus' ? await setupServus(args.conversations) : await setupBare(args.conversations);
  const seconds = args.seconds ?? 8;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let delivered = 0;
  let measuring = false;
  const seq = { n: 0 };
  const inflight = new Map<Pair, number>();
  const window = args.window ?? 4;
  const pump = (pair: Pair) => {
    while ((inflight.get(pair) ?? 0) < window) {
      inflight.set(pair, (inflight.get(pair) ?? 0) + 1);
      sentAt.set(sender(pair, seq.n % 2 === 0, seq), performance.now());
    }
  };
  for (const pair of pairs) {
    const got = (tag: string) => {
      const t0 = sentAt.get(tag);
      if (t0 === undefined) return;
      sentAt.delete(tag);
      if (measuring) {
        delivered += 1;
        latencies.push(performance.now() - t0);
      }
      if (args.mode === 'throughput') {
        inflight.set(pair, (inflight.get(pair) ?? 1) - 1);
        pump(pair);
      }
    };
    // Only the peer's copy counts: the sender also sees its own message echoed on Servus.
    onReceive(pair.a, (tag) => tag.startsWith('b') && got(tag));
    onReceive(pair.b, (tag) => tag.startsWith('a') && got(tag));
  }
  // The orchestrator reads every process's CPU time when the measured window opens and closes (cpu.ts).
  const startMeasuring = () => {
    process.stderr.write('MEASURE start\n');
    measuring = true;
    return performance.now();
  };
  const stopMeasuring = () => {
    measuring = false;
    process.stderr.write('MEASURE end\n');
  };
  let started: number;
  if (args.mode === 'latency') {
    // Paced: every 5 ms, the messages due since the last tick (rate × elapsed time, so a late timer
    // does not lower the rate), spread round-robin over the conversations.
    const perMs = (args.rate ?? 2000) / 1000;
    let carry = 0;
    let next = 0;
    let lastTick = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      carry += (now - lastTick) * perMs;
      lastTick = now;
      while (carry >= 1) {
        carry -= 1;
        const pair = pairs[next++ % pairs.length]!;
        sentAt.set(sender(pair, next % 2 === 0, seq), performance.now());
      }
    }, 5);
    await new Promise((r) => setTimeout(r, 1000));
    started = startMeasuring();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    stopMeasuring();
    clearInterval(timer);
  } else {
    for (const pair of pairs) pump(pair);
    await new Promise((r) => setTimeout(r, 1000));
    started = startMeasuring();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    stopMeasuring();
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const ms = (q: number) => Math.round(pct(latencies, q) * 1000) / 1000;
  // The share of messages slower than the p99 target: whether a missed p99 is a broad tail or a
  // few stalls that each held up one batch.
  const firstOver5 = latencies.findIndex((l) => l > 5);
  const over5 = firstOver5 < 0 ? 0 : latencies.length - firstOver5;
  console.log(
    JSON.stringify({
      delivered,
      msgs_per_s: Math.round(delivered / elapsed),
      p50_ms: ms(0.5),
      p95_ms: ms(0.95),
      p99_ms: ms(0.99),
      over_5ms_pct: latencies.length ? Math.round((over5 / latencies.length) * 10_000) / 100 : 0,
      sockets: pairs.length * 2,
      errors: refused.count,
      ...(refused.first ? { first_error: refused.first } : {}),
    }),
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
