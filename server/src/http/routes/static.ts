// The files and pages the server hands out: widget.js and its chunks (for any host page), the demo
// shop, and the agent console's page and assets. static-files.ts serves them: precompressed
// variants by Accept-Encoding, an ETag and 304, the cache lifetime per file.
import { Hono, type Context } from 'hono';
import { demoPage, consolePage } from '../pages.js';
import { createStaticFiles } from '../static-files.js';
import type { Env } from '../toolkit.js';

const consoleCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function staticRoutes({ widgetDir, consoleDir }: { widgetDir: string; consoleDir: string }) {
  const app = new Hono<Env>();
  // widget.js is the one unhashed entry: a short max-age, then a cheap revalidation. Hashed chunk
  // names never change content: cached for a year. The chunks live in widget/dist/widget/, beside
  // widget.js as the loader expects them on any static host too.
  const hashed = /-[A-Za-z0-9_-]{8,}\.[a-z]+$/;
  const widgetFiles = createStaticFiles({
    root: widgetDir,
    cacheControl: (rel) => (hashed.test(rel) ? 'public, max-age=31536000, immutable' : 'public, max-age=300'),
    headers: { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' },
  });
  const consoleFiles = createStaticFiles({
    root: consoleDir,
    cacheControl: (rel) => (rel.startsWith('assets/') && hashed.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  app.get('/widget.js', async (c) => (await widgetFiles.serve(c.req.raw, 'widget.js')) ?? c.notFound());
  app.get('/widget/*', async (c) => (await widgetFiles.serve(c.req.raw, c.req.path.slice(1))) ?? c.notFound());
  app.get('/', (c) => c.redirect('/demo'));
  app.get('/demo', (c) => c.html(demoPage(c.req.query('lang') === 'en' ? 'en' : 'de')));
  async function consoleIndex(c: Context<Env>) {
    const res = (await consoleFiles.serve(c.req.raw, 'index.html')) ?? (await c.html(consolePage(), 200, { 'Cache-Control': 'no-cache' }));
    res.headers.set('Content-Security-Policy', consoleCsp);
    res.headers.set('X-Frame-Options', 'DENY');
    return res;
  }
  app.get('/console', consoleIndex);
  app.get('/console/assets/*', async (c) => (await consoleFiles.serve(c.req.raw, c.req.path.slice('/console/'.length))) ?? c.notFound());
  app.get('/console/*', consoleIndex);
  return app;
}
