// The SPA's own backend, reduced to what Servus needs: static files, and the identity hash for the
// logged-in user (HMAC-SHA256 of the user id with the site secret, which stays on the server).
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const secret = process.env.SERVUS_SITE_SECRET ?? '';
const port = Number(process.env.PORT ?? 5173);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/identity-hash') {
    // In a real app: the id of the user of this session, never one from the query string.
    const id = url.searchParams.get('id') ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ hash: createHmac('sha256', secret).update(id).digest('hex') }));
    return;
  }
  const file = ['/app.js', '/app.css'].includes(url.pathname) ? url.pathname.slice(1) : 'index.html';
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'text/plain' });
  res.end(await readFile(join(dir, file)));
}).listen(port, () => {
  if (!secret) console.warn('SERVUS_SITE_SECRET is not set: identify will be refused (the widget keeps working anonymously).');
  console.log(`SPA example on http://localhost:${port}`);
});
