// The files and pages the server hands out: widget.js and its chunks (for any host page), the demo
// shop, and the agent console's page and assets.
import { readFile } from 'node:fs/promises';
import { join, normalize, extname, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { demoPage, consolePage } from '../pages.js';
import type { Env } from '../toolkit.js';

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const consoleCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function staticRoutes({ widgetDir, consoleDir }: { widgetDir: string; consoleDir: string }) {
  const app = new Hono<Env>();

  async function sendFile(c: Context<Env>, rel: string, cache: string) {
    const root = normalize(widgetDir);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return c.notFound();
    try {
      const body = await readFile(file);
      c.header('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
      c.header('Cache-Control', cache);
      c.header('Access-Control-Allow-Origin', '*');
      c.header('Cross-Origin-Resource-Policy', 'cross-origin');
      return c.body(body);
    } catch {
      return c.notFound();
    }
  }
  app.get('/widget.js', (c) => sendFile(c, 'widget.js', 'public, max-age=300'));
  app.get('/widget/*', (c) => {
    const rel = c.req.path.slice('/widget/'.length);
    // Hashed chunk names never change content: cache them for a year. The chunks live in
    // widget/dist/widget/, beside widget.js as the loader expects them on any static host too.
    return sendFile(c, `widget/${rel}`, /-[A-Za-z0-9_-]{8,}\./.test(rel) ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
  });
  app.get('/', (c) => c.redirect('/demo'));
  app.get('/demo', (c) => c.html(demoPage(c.req.query('lang') === 'en' ? 'en' : 'de')));

  async function consoleIndex(c: Context<Env>) {
    c.header('Content-Security-Policy', consoleCsp);
    c.header('X-Frame-Options', 'DENY');
    c.header('Cache-Control', 'no-cache');
    try {
      return c.html(await readFile(join(consoleDir, 'index.html'), 'utf8'));
    } catch {
      return c.html(consolePage());
    }
  }
  app.get('/console', consoleIndex);
  app.get('/console/assets/*', async (c) => {
    const rel = c.req.path.slice('/console/'.length);
    const root = normalize(consoleDir);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) return c.notFound();
    try {
      const body = await readFile(file);
      c.header('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(body);
    } catch {
      return c.notFound();
    }
  });
  app.get('/console/*', consoleIndex);
  return app;
}
