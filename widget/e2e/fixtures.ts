// Host pages for the end-to-end tests, served by a tiny HTTP server on another origin than Servus
// (so the widget is embedded cross-origin, as on a customer's site). Each hostile page is one of
// the issue's fixtures; CSP travels as a real response header.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
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

/** Real front-end libraries, served from node_modules as a site would serve them (no CDN works here). */
const resolve = createRequire(import.meta.url).resolve;
const VENDOR: Record<string, { file: string; type: string }> = {
  '/vendor/bootstrap.min.css': { file: resolve('bootstrap/dist/css/bootstrap.min.css'), type: 'text/css' },
  '/vendor/bootstrap.bundle.min.js': { file: resolve('bootstrap/dist/js/bootstrap.bundle.min.js'), type: 'text/javascript' },
  '/vendor/turbo.js': { file: resolve('@hotwired/turbo/dist/turbo.es2017-umd.js'), type: 'text/javascript' },
};

const tag = (servus: string, attrs = '') => `<script src="${servus}/widget.js" data-site="demo"${attrs} async></script>`;
const doc = (lang: string, title: string, head: string, body: string, htmlAttrs = '') =>
  `<!doctype html><html lang="${lang}"${htmlAttrs}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>${head}</head><body>${body}</body></html>`;

/**
 * Host pages from issue 17 (the widget in the wild), by path. `q` is the request's query: the
 * cookie-footer page takes `offsetY` (a data-offset-y on the tag).
 */
export const HOST_PAGES: Record<string, (servus: string, q: URLSearchParams) => string> = {
  // Turbo Drive: links are fetched and the whole <body> replaced (scripts in it run again).
  '/turbo/one': (servus) =>
    doc(
      'en',
      'Turbo one',
      '<script src="/vendor/turbo.js"></script>',
      `<h1>Page one</h1><p><a id="next" href="/turbo/two">Boots</a></p>${tag(servus)}`,
    ).replace('<body>', '<body data-page="one">'),
  '/turbo/two': (servus) =>
    doc(
      'en',
      'Turbo two',
      '<script src="/vendor/turbo.js"></script>',
      `<h1>Page two</h1><p><a id="back" href="/turbo/one">Home</a></p>${tag(servus)}`,
    ).replace('<body>', '<body data-page="two">'),
  // Bootstrap 5 with a navbar, a fixed footer and its real modal (focus trap included).
  '/bootstrap': (servus) =>
    doc(
      'de',
      'Bootstrap',
      '<link rel="stylesheet" href="/vendor/bootstrap.min.css">',
      `<nav class="navbar navbar-expand-lg bg-body-tertiary"><div class="container-fluid"><a class="navbar-brand" href="#">Bergschuh</a></div></nav>
<main class="container py-4"><button id="open-modal" class="btn btn-primary" data-bs-toggle="modal" data-bs-target="#newsletter">Newsletter</button>
<div style="height:2400px">Handgemachte Bergschuhe aus Tirol.</div></main>
<footer class="fixed-bottom bg-dark text-white p-2">© Bergschuh</footer>
<div class="modal fade" id="newsletter" tabindex="-1" aria-labelledby="nl-title" aria-hidden="true"><div class="modal-dialog"><div class="modal-content">
<div class="modal-header"><h1 class="modal-title fs-5" id="nl-title">Newsletter</h1><button type="button" class="btn-close" data-bs-dismiss="modal" aria-label="Schließen"></button></div>
<div class="modal-body"><label for="nl-email" class="form-label">E-Mail</label><input class="form-control" id="nl-email" type="email"></div></div></div></div>
<script src="/vendor/bootstrap.bundle.min.js"></script>
<script>window.modalShown = 0; document.getElementById('newsletter').addEventListener('shown.bs.modal', () => window.modalShown++);</script>
${tag(servus, ' data-lang="de"')}`,
    ),
  '/rtl': (servus) =>
    doc(
      'ar',
      'متجر',
      '<style>body{font:16px/1.5 sans-serif;margin:24px}</style>',
      `<h1>متجر الأحذية</h1><p>أحذية جبلية مصنوعة يدويًا.</p>${tag(servus, ' data-lang="en"')}`,
      ' dir="rtl"',
    ),
  // A fixed footer with a "Cookie settings" button where the launcher sits by default.
  '/cookie-footer': (servus, q) =>
    doc(
      'en',
      'Footer',
      `<style>body{margin:0;font:16px/1.5 sans-serif}footer{position:fixed;left:0;right:0;bottom:0;height:56px;background:#1f2937}
#cookies{position:absolute;right:16px;bottom:12px;width:160px;height:32px}</style>`,
      `<h1>Shop</h1><footer><button id="cookies">Cookie settings</button></footer>
<script>window.cookieClicks = 0; document.getElementById('cookies').onclick = () => window.cookieClicks++;</script>
${tag(servus, ' data-lang="en"' + (q.get('offsetY') ? ` data-offset-y="${Number(q.get('offsetY'))}"` : ''))}`,
    ),
  // A page of a site that does not allow this origin (the test creates the site "locked").
  '/refused': (servus) =>
    doc('en', 'Refused', '', `<h1>Shop</h1><script src="${servus}/widget.js" data-site="locked" data-lang="en" async></script>`),
  // A global ::backdrop rule, as pages write for their own <dialog>s.
  '/backdrop': (servus, q) =>
    doc(
      'en',
      'Backdrop',
      '<style>body{margin:24px;font:16px/1.5 sans-serif;background:#fff}::backdrop{background:rgb(0 0 0 / 0.6) !important;backdrop-filter:blur(4px)}</style>',
      `<h1>Shop</h1><p>Text that must not be dimmed.</p>${q.get('widget') === '0' ? '' : tag(servus, ' data-lang="en"')}`,
    ),
};

export async function startFixtureServer(servus: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const vendor = VENDOR[url.pathname];
    if (vendor) {
      res.writeHead(200, { 'content-type': vendor.type }).end(readFileSync(vendor.file));
      return;
    }
    const hostPage = HOST_PAGES[url.pathname];
    if (hostPage) {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(hostPage(servus, url.searchParams));
      return;
    }
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
