// Built files (the widget and the console): the .br or .gz variant that the build wrote beside a
// file when the browser accepts it (`Vary: Accept-Encoding`), a strong ETag with 304 on a match,
// and a Cache-Control chosen per file. Self-contained: it knows no routes. No Last-Modified: the
// ETag is the better validator (a rebuild with the same bytes keeps it), and widget.js on every
// page view is where its 46 bytes of header would count.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

export interface StaticFilesOptions {
  /** The folder served; nothing outside it is ever read. */
  root: string;
  /** Cache-Control for a file, given its path relative to root (with `/`). */
  cacheControl: (rel: string) => string;
  /** Headers added to every response, 304s included (e.g. CORS for the widget). */
  headers?: Record<string, string>;
  /** Files whose validators (content hash, variants) are kept in memory; the oldest is dropped beyond it. */
  maxEntries?: number;
}

export const STATIC_MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Precompressed variants, in the order the server prefers them; the suffix is the file's. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type Encoding = (typeof ENCODINGS)[number]['name'];

interface Entry {
  mtimeMs: number;
  size: number;
  /** Hash of the uncompressed content: unchanged bytes keep their ETag across builds and deploys. */
  hash: string;
  variants: Partial<Record<Encoding, string>>;
}

/** The encodings an Accept-Encoding header allows (q > 0), `*` included. */
export function acceptedEncodings(header: string | null | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    if (q && !(Number(q[1]) > 0)) continue;
    out.add(token);
  }
  return out;
}

/** Whether an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function createStaticFiles({ root, cacheControl, headers = {}, maxEntries = 500 }: StaticFilesOptions) {
  const base = normalize(root);
  const entries = new Map<string, Entry>();

  async function entryFor(file: string): Promise<Entry | null> {
    let st;
    try {
      st = await stat(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const known = entries.get(file);
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return known;
    const hash = createHash('sha256')
      .update(await readFile(file))
      .digest('base64url')
      .slice(0, 16);
    const variants: Entry['variants'] = {};
    for (const { name, suffix } of ENCODINGS) {
      try {
        const v = await stat(file + suffix);
        // A variant older than its file is left over from an earlier build: never serve it.
        if (v.isFile() && v.mtimeMs >= st.mtimeMs) variants[name] = file + suffix;
      } catch {
        // no such variant: the file is served as it is
      }
    }
    const entry = { mtimeMs: st.mtimeMs, size: st.size, hash, variants };
    entries.delete(file);
    entries.set(file, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return entry;
  }

  return {
    /** The response for `rel` (relative to root), or null when there is no such file. */
    async serve(req: Request, rel: string): Promise<Response | null> {
      const file = normalize(join(base, rel));
      if (!file.startsWith(base + sep)) return null;
      const entry = await entryFor(file);
      if (!entry) return null;
      const accepted = acceptedEncodings(req.headers.get('accept-encoding'));
      const encoding = ENCODINGS.find((e) => entry.variants[e.name] && (accepted.has(e.name) || accepted.has('*')))?.name;
      const etag = `"${entry.hash}${encoding ? '-' + encoding : ''}"`;
      const out = new Headers(headers);
      out.set('Cache-Control', cacheControl(rel.split(sep).join('/')));
      out.set('ETag', etag);
      out.set('Vary', 'Accept-Encoding');
      const inm = req.headers.get('if-none-match');
      if (inm !== null && noneMatch(inm, etag)) return new Response(null, { status: 304, headers: out });
      let body: Buffer;
      try {
        body = await readFile(encoding ? entry.variants[encoding]! : file);
      } catch {
        // Removed between stat and read (a rebuild): forget it and answer as for a missing file.
        entries.delete(file);
        return null;
      }
      out.set('Content-Type', STATIC_MIME[extname(file)] ?? 'application/octet-stream');
      if (encoding) out.set('Content-Encoding', encoding);
      out.set('Content-Length', String(body.length));
      return new Response(new Uint8Array(body), { status: 200, headers: out });
    },
  };
}

export type StaticFiles = ReturnType<typeof createStaticFiles>;
