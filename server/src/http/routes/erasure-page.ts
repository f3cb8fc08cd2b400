// The page a visitor's erasure link opens (privacy/erasure.ts), in German or English: GET shows
// what will be erased and a button; only the POST of that button erases (mail scanners and link
// previews open links with GET). Plain HTML, no script, nothing loaded from elsewhere, not
// framable, the token never sent on as a Referer.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ErasureRequests } from '../../privacy/erasure.js';
import type { Env } from '../toolkit.js';

type Lang = 'de' | 'en';

const strings = {
  de: {
    title: 'Daten löschen',
    lead: (site: string, n: number) =>
      `Sie haben gebeten, Ihre Daten im Chat von ${site} zu löschen: ${n === 1 ? 'ein Gespräch' : `${n} Gespräche`}, Ihr Name, Ihre E-Mail-Adresse und alles, was Sie geschrieben haben. Das kann nicht rückgängig gemacht werden.`,
    confirm: 'Endgültig löschen',
    done: (site: string) => `Ihre Daten im Chat von ${site} sind gelöscht.`,
    gone: 'Dieser Link ist unbekannt, schon benutzt oder abgelaufen. Bitten Sie im Chat um einen neuen.',
  },
  en: {
    title: 'Delete your data',
    lead: (site: string, n: number) =>
      `You asked to delete your data in the chat of ${site}: ${n === 1 ? 'one conversation' : `${n} conversations`}, your name, your email address and everything you wrote. This cannot be undone.`,
    confirm: 'Delete for good',
    done: (site: string) => `Your data in the chat of ${site} has been deleted.`,
    gone: 'This link is unknown, used or expired. Ask for a new one in the chat.',
  },
} as const;

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function page(lang: Lang, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(strings[lang].title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#b3261e;color:#fff;cursor:pointer}</style>
</head><body><h1>${escape(strings[lang].title)}</h1>${body}</body></html>`;
}

/** The browser's language when the request has none stored (an unknown link). */
const browserLang = (accept: string | undefined): Lang => (/^\s*de\b/i.test(accept ?? '') ? 'de' : 'en');

/** Mounted at ERASURE_PAGE_PATH. */
export function erasurePageRoutes({ erasure }: { erasure: ErasureRequests }) {
  const app = new Hono<Env>();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Robots-Tag', 'noindex');
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
  });
  app.get('/', async (c) => {
    const token = c.req.query('t') ?? '';
    const pending = await erasure.pending(token);
    if (!pending) {
      const lang = browserLang(c.req.header('accept-language'));
      return c.html(page(lang, `<p>${escape(strings[lang].gone)}</p>`), 404);
    }
    const s = strings[pending.lang];
    return c.html(
      page(
        pending.lang,
        `<p>${escape(s.lead(pending.siteName, pending.conversations))}</p>
<form method="post"><input type="hidden" name="t" value="${escape(token)}"><button type="submit">${escape(s.confirm)}</button></form>`,
      ),
    );
  });
  // The form holds one token: a bigger body is not ours.
  const small = bodyLimit({ maxSize: 1024, onError: (c) => c.text('Too large.', 413) });
  app.post('/', small, async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const token = typeof form.t === 'string' ? form.t : '';
    const done = await erasure.confirm(token);
    if (!done) {
      const lang = browserLang(c.req.header('accept-language'));
      return c.html(page(lang, `<p>${escape(strings[lang].gone)}</p>`), 404);
    }
    return c.html(page(done.lang, `<p>${escape(strings[done.lang].done(done.siteName))}</p>`));
  });
  return app;
}
