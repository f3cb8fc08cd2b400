// A local HTTP server that speaks the OpenAI chat completions API (POST /v1/chat/completions with
// `stream: true` SSE chunks, tool_calls deltas included), scripted per test: each request takes the
// next scripted reply. It records every request so tests can check what a model would have seen.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeReply =
  /** Streams these content pieces, one SSE chunk each; a promise in the list pauses the stream until it resolves. */
  | { content: Piece[]; finish?: 'stop' | 'length' | 'content_filter' }
  /** Streams a tool call (name, then the arguments in pieces), optionally after some content. */
  | { toolCall: { name: string; arguments: string[] }; content?: string[] }
  /** Answers with this HTTP status and an OpenAI-style error body. */
  | { status: number }
  /** Accepts the request and never answers (or streams `content` first and then stalls). */
  | { hang: true; content?: Piece[] };

/** A piece of streamed text, or a pause until the test lets the stream go on. */
export type Piece = string | Promise<void>;

export interface FakeRequest {
  authorization: string | undefined;
  headers: IncomingHttpHeaders;
  body: {
    model?: string;
    stream?: boolean;
    max_tokens?: number;
    messages?: { role: string; content: string }[];
    tools?: { type: string; function: { name: string } }[];
  };
}

export interface FakeOpenAI {
  /** Base URL including /v1, as OPENAI_BASE_URL expects it. */
  url: string;
  requests: FakeRequest[];
  /** Queues replies for the next requests, in order. Unscripted requests get HTTP 500. */
  script(...replies: FakeReply[]): void;
  /** Resolves with the next request (or one already received beyond `seen`). */
  nextRequest(seen?: number): Promise<FakeRequest>;
  close(): Promise<void>;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queue: FakeReply[] = [];
  const requests: FakeRequest[] = [];
  const waiters: (() => void)[] = [];
  let n = 0;

  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({
      id: `chatcmpl-fake-${n}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: 'fake-model',
      choices: [{ index: 0, delta, finish_reason: finish }],
    })}\n\n`;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    let raw = '';
    for await (const piece of req) raw += String(piece);
    requests.push({ authorization: req.headers.authorization, headers: req.headers, body: JSON.parse(raw) as FakeRequest['body'] });
    n += 1;
    for (const w of waiters.splice(0)) w();
    const reply = queue.shift() ?? { status: 500 };
    if ('status' in reply) {
      res
        .writeHead(reply.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error', code: null } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    res.write(chunk({ role: 'assistant', content: '' }));
    for (const piece of ('content' in reply && reply.content) || []) {
      if (typeof piece === 'string') res.write(chunk({ content: piece }));
      else await piece;
    }
    if ('hang' in reply) return;
    if ('toolCall' in reply) {
      const { name, arguments: args } = reply.toolCall;
      res.write(chunk({ tool_calls: [{ index: 0, id: `call_${n}`, type: 'function', function: { name, arguments: '' } }] }));
      for (const piece of args) res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
      res.write(chunk({}, 'tool_calls'));
    } else {
      res.write(chunk({}, reply.finish ?? 'stop'));
    }
    res.end('data: [DONE]\n\n');
  }

  const server = createServer((req, res) => {
    answer(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...replies) => void queue.push(...replies),
    nextRequest(seen = requests.length) {
      if (requests.length > seen) return Promise.resolve(requests[seen]!);
      return new Promise((resolve) => waiters.push(() => resolve(requests[seen]!)));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
