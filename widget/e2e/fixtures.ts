// Host pages for the end-to-end tests, served by a tiny HTTP server on another origin than Servus
// (so the widget is embedded cross-origin, as on a customer's site). Each hostile page is one of
// the fixtures; CSP travels as a real response header.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const NONCE = 'r4nd0mN0nce';

const body = `
<header class="top"><h1>Bergschuh Shop</h1><nav><a href="#a">Schuhe</a> <a href="#b">Jacken</a> <button class="own">Warenkorb</button></nav></header>
<main>
  <p class="lead">Handgemachte Bergschuhe aus Tirol. Versand in 24 Stunden.</p>
  <div class="grid"><div class="card">Bergschuh<br>129 €</div><div class="card">Lodenjacke<br>249 €</div><div class="card">Trinkflasche<br>19,90 €</div><div></div></div>
</main>`;

const baseStyle = `body{font:16px/1.5 Georgia,serif;margin:0;color:#222;background:#fffdf7}.top{background:#7c2d12;color:#fff;padding:16px 24px}
main{padding:24px;max-width:900px}.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}.card{background:#fff;border:1px solid #ddd;padding:12px}`;

export interface Fixture {
  /** The page's extra CSS, script and headers; `widget` is the script tag pointing at Servus. */
  css?: string;
  head?: string;
  csp?: (servus: string) => string;
  lang?: string;
}

/** The hostile pages the issue names. */
export const FIXTURES: Record<string, Fixture> = {
  plain: {},
  'global-reset': { css: '* { all: unset !important; } html, body { display: block; }' },
  'div-empty': { css: 'div:empty { display: none !important; }' },
  'buttons-hidden': { css: 'button { display: none !important; }' },
  'max-z-overlay': {
    css: '.overlay { position: fixed; inset: auto 0 0 auto; width: 60vw; height: 70vh; z-index: 2147483647; background: rgb(255 0 0 / 0.15); }',
    head: '',
  },
  'strict-csp': {
    csp: (servus) =>
      `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; connect-src ${servus} ${servus.replace(/^http/, 'ws')}; img-src ${servus} data:; base-uri 'none'`,
  },
  'array-prototype': {
    // What Prototype.js-era libraries did: enumerable additions, a toJSON that breaks JSON.stringify
    // of arrays, and replaced iteration methods that are not spec-compliant.
    head: `<script nonce="${NONCE}">
      Array.prototype.toJSON = function () { return 'hijacked'; };
      Array.prototype.each = function (f) { for (var i = 0; i < this.length; i++) f(this[i], i); };
      Array.prototype.includes = function (x) { for (var i = 0; i < this.length; i++) if (this[i] === x) return true; return false; };
      Array.prototype.find = function (f) { for (var i = 0; i < this.length; i++) if (f(this[i], i)) return this[i]; };
      Array.prototype.flat = function () { return 'not flat'; };
      Array.prototype.at = undefined;
    </script>`,
  },
};

export function page(name: string, servus: string, withWidget = true): string {
  const f = FIXTURES[name]!;
  const overlay = name === 'max-z-overlay' ? '<div class="overlay"></div>' : '';
  const widget = withWidget ? `<script src="${servus}/widget.js" data-site="demo" nonce="${NONCE}" async></script>` : '';
  return `<!doctype html><html lang="${f.lang ?? 'de'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fixture ${name}</title><style nonce="${NONCE}">${baseStyle}${f.css ?? ''}</style>${f.head ?? ''}</head>
<body>${body}${overlay}${widget}</body></html>`;
}

export async function startFixtureServer(servus: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.pathname.slice(1) || 'plain';
    if (!FIXTURES[name]) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
    const csp = FIXTURES[name]!.csp;
    if (csp) headers['content-security-policy'] = csp(servus);
    res.writeHead(200, headers).end(page(name, servus, url.searchParams.get('widget') !== '0'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
