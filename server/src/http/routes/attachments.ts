// Files over HTTP (docs/protocol.md "Attachments"): the visitor's upload and download with their
// token as a bearer header (cross-origin, like the widget's other requests), the agents' with
// their session. The body is the file itself, streamed; the query names it. A download is only
// ever inline for a raster image; anything else (SVG, HTML, PDF, text) is an attachment, and every
// download is sandboxed and never sniffed by the browser.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AttachmentInfo, AttachmentUploadResponse } from '@servus/shared';
import type { Attachments } from '../../attachments/index.js';
import type { Auth } from '../../auth/auth.js';
import { parseQuery, requireVisitor, type Env } from '../toolkit.js';

const uploadQuery = z.object({
  cid: z.string().min(1).max(64),
  name: z.string().min(1).max(1000),
  conversationId: z.string().min(1).max(64).optional(),
  lang: z.enum(['de', 'en']).optional(),
});

/** The sandbox every download gets: nothing may run, load or be framed, whatever the bytes are. */
export const DOWNLOAD_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'";

/** RFC 6266/5987: an ASCII fallback and the UTF-8 name. */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The request's body as chunks, read as the upload asks for them. Node's request stream itself
 * when there is one: its async iterator pauses the socket while a chunk is being stored (the web
 * stream Hono would make of it reads ahead without backpressure on Node 20, buffering the file).
 */
async function* bodyOf(c: Context<Env>): AsyncIterable<Uint8Array> {
  const incoming = c.env?.incoming as (AsyncIterable<Buffer> & { readableEnded?: boolean }) | undefined;
  if (incoming && Symbol.asyncIterator in incoming) {
    yield* incoming;
    return;
  }
  const body = c.req.raw.body;
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

const contentLength = (c: Context<Env>): number | null => {
  const header = c.req.header('content-length');
  return header && /^\d{1,15}$/.test(header) ? Number(header) : null;
};

/** The file as a streamed response, with the headers that keep it from being run. */
function download(c: Context<Env>, file: { info: AttachmentInfo; chunks: AsyncIterable<Buffer> }, sameOriginOnly: boolean): Response {
  const { info } = file;
  const inline = info.inline && c.req.query('download') === undefined;
  const iterator = file.chunks[Symbol.asyncIterator]();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const headers = new Headers({
    'Content-Type': info.inline ? info.type : 'application/octet-stream',
    'Content-Length': String(info.size),
    'Content-Disposition': disposition(inline ? 'inline' : 'attachment', info.name),
    'Content-Security-Policy': DOWNLOAD_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, max-age=300',
    'Cross-Origin-Resource-Policy': sameOriginOnly ? 'same-origin' : 'cross-origin',
  });
  if (!sameOriginOnly) headers.set('Access-Control-Allow-Origin', '*');
  return new Response(stream, { status: 200, headers });
}

/** Mounted at /api/visitor/attachments: the widget's side (bearer token and X-Servus-Site). */
export function visitorAttachmentRoutes({ auth, attachments }: { auth: Auth; attachments: Attachments }) {
  const app = new Hono<Env>();
  app.options('/*', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Headers', 'authorization, x-servus-site, content-type');
    c.header('Access-Control-Allow-Methods', 'GET, POST');
    c.header('Access-Control-Max-Age', '600');
    return c.body(null, 204);
  });
  app.post('/', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await requireVisitor(auth, c);
    const q = parseQuery(c, uploadQuery);
    const result = await attachments.upload(visitor, { ...q, length: contentLength(c), body: bodyOf(c) });
    return c.json(result satisfies AttachmentUploadResponse, result.ack.duplicate ? 200 : 201);
  });
  app.get('/:id', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const visitor = await requireVisitor(auth, c);
    return download(c, await attachments.open(visitor, c.req.param('id')), false);
  });
  return app;
}

/** Mounted inside the agents' API: uploads at /api/conversations/:id/attachments. */
export function agentAttachmentUploadRoutes({ attachments }: { attachments: Attachments }) {
  const app = new Hono<Env>();
  app.post('/:id/attachments', async (c) => {
    const q = parseQuery(c, uploadQuery.omit({ conversationId: true, lang: true }));
    const result = await attachments.upload(c.get('agent'), {
      ...q,
      conversationId: c.req.param('id'),
      length: contentLength(c),
      body: bodyOf(c),
    });
    return c.json(result satisfies AttachmentUploadResponse, result.ack.duplicate ? 200 : 201);
  });
  return app;
}

/** Mounted inside the agents' API at /api/attachments: downloads. */
export function agentAttachmentRoutes({ attachments }: { attachments: Attachments }) {
  const app = new Hono<Env>();
  app.get('/:id', async (c) => download(c, await attachments.open(c.get('agent'), c.req.param('id')), true));
  return app;
}

/** Paths whose bodies are files, exempt from the JSON body limit (the upload enforces the site's own). */
export const isUploadPath = (path: string) =>
  path === '/api/visitor/attachments' || /^\/api\/conversations\/[^/]+\/attachments$/.test(path);
