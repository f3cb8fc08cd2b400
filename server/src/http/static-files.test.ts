// Static files: the precompressed variant the browser accepts, validators and 304s, stale variants
// and paths outside the folder; then the real server's widget and console files as the build left them.
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedEncodings, createStaticFiles } from './static-files.js';
import { startTestServer, type TestServer } from '../testing/in-process.js';

const get = (headers: Record<string, string> = {}) => new Request('http://x/', { headers });

describe('static files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'servus-static-'));
  const text = 'console.log("servus");\n'.repeat(50);
  beforeAll(() => {
    writeFileSync(join(dir, 'app.js'), text);
    writeFileSync(join(dir, 'app.js.br'), brotliCompressSync(text));
    writeFileSync(join(dir, 'app.js.gz'), gzipSync(text));
    writeFileSync(join(dir, 'plain.css'), 'a{}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files = createStaticFiles({ root: dir, cacheControl: (rel) => `max-age=1; file=${rel}`, headers: { 'X-Extra': 'yes' } });

  it('sends the brotli variant when accepted, else gzip, else the file itself, each with its own ETag', async () => {
    const br = (await files.serve(get({ 'accept-encoding': 'gzip, deflate, br, zstd' }), 'app.js'))!;
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('vary')).toBe('Accept-Encoding');
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(br.headers.get('cache-control')).toBe('max-age=1; file=app.js');
    expect(br.headers.get('x-extra')).toBe('yes');
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(text);

    const gz = (await files.serve(get({ 'accept-encoding': 'gzip' }), 'app.js'))!;
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(text);

    const none = (await files.serve(get({ 'accept-encoding': 'br;q=0, gzip;q=0' }), 'app.js'))!;
    expect(none.headers.get('content-encoding')).toBeNull();
    expect(await none.text()).toBe(text);
    expect(Number(none.headers.get('content-length'))).toBe(text.length);

    const tags = [br, gz, none].map((r) => r.headers.get('etag'));
    expect(new Set(tags).size).toBe(3);
  });

  it('answers 304 to a matching If-None-Match, 200 to another representation’s ETag', async () => {
    const first = (await files.serve(get({ 'accept-encoding': 'br' }), 'app.js'))!;
    const etag = first.headers.get('etag')!;
    const again = (await files.serve(get({ 'accept-encoding': 'br', 'if-none-match': `"other", W/${etag}` }), 'app.js'))!;
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe('max-age=1; file=app.js');
    expect(await again.text()).toBe('');
    // Another representation's tag does not match this one.
    const gz = (await files.serve(get({ 'accept-encoding': 'gzip', 'if-none-match': etag }), 'app.js'))!;
    expect(gz.status).toBe(200);
    expect((await files.serve(get({ 'accept-encoding': 'br', 'if-none-match': '*' }), 'app.js'))!.status).toBe(304);
  });

  it('gives changed content a new ETag and never serves a variant older than its file', async () => {
    const before = (await files.serve(get({ 'accept-encoding': 'br' }), 'app.js'))!.headers.get('etag');
    const changed = text + '// changed\n';
    writeFileSync(join(dir, 'app.js'), changed);
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'app.js'), future, future);
    const res = (await files.serve(get({ 'accept-encoding': 'br, gzip' }), 'app.js'))!;
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('etag')).not.toBe(before);
    expect(await res.text()).toBe(changed);
  });

  it('serves nothing outside its folder and nothing that is not a file', async () => {
    expect(await files.serve(get(), '../etc/passwd')).toBeNull();
    expect(await files.serve(get(), '/../../etc/passwd')).toBeNull();
    expect(await files.serve(get(), 'missing.js')).toBeNull();
    expect(await files.serve(get(), '.')).toBeNull();
    const css = (await files.serve(get({ 'accept-encoding': 'br' }), 'plain.css'))!;
    expect(css.headers.get('content-encoding')).toBeNull();
    expect(await css.text()).toBe('a{}');
  });

  it('reads Accept-Encoding with q-values and wildcards', () => {
    expect([...acceptedEncodings('gzip, br;q=0.5, zstd;q=0')]).toEqual(['gzip', 'br']);
    expect([...acceptedEncodings('*')]).toEqual(['*']);
    expect([...acceptedEncodings(undefined)]).toEqual([]);
  });
});

describe('the server’s widget and console files', () => {
  let server: TestServer;
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  const fetchIt = (path: string, headers: Record<string, string> = {}) =>
    fetch(server.url + path, { headers: { 'accept-encoding': 'br, gzip', ...headers } });

  it('sends widget.js brotli-compressed with a short max-age, then 304 on revalidation', async () => {
    const res = await fetchIt('/widget.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const etag = res.headers.get('etag')!;
    const again = await fetchIt('/widget.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('caches hashed widget and console chunks for a year, immutable, compressed', async () => {
    const app = readdirSync(join(repo, 'widget', 'dist', 'widget')).find((f) => /^app-.*\.js$/.test(f))!;
    const chunk = await fetchIt(`/widget/${app}`);
    expect(chunk.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(chunk.headers.get('content-encoding')).toBe('br');
    const asset = readdirSync(join(repo, 'server', 'console', 'dist', 'assets')).find((f) => /^index-.*\.js$/.test(f))!;
    const js = await fetchIt(`/console/assets/${asset}`);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-encoding')).toBe('br');
    expect((await fetchIt('/console/assets/nope.js')).status).toBe(404);
  });

  it('revalidates the console page (no-cache with an ETag) and keeps its CSP on 200 and 304', async () => {
    const page = await fetchIt('/console/queue');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const again = await fetchIt('/console', { 'if-none-match': page.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(again.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(again.headers.get('x-frame-options')).toBe('DENY');
  });
});
