// The demo page (a plain shop page with the one script tag) and the console's entry page.

const demoText = {
  de: {
    title: 'Servus Shop – Demo',
    h1: 'Servus Shop',
    lead: 'Eine Demo-Seite mit dem Servus-Chat. Fragen Sie unten rechts zum Beispiel „Wie lange dauert der Versand?“ oder „Ich möchte mit einem Menschen sprechen“.',
    other: 'English version',
  },
  en: {
    title: 'Servus Shop – demo',
    h1: 'Servus Shop',
    lead: 'A demo page with the Servus chat. Ask at the bottom right, for instance “How long does shipping take?” or “I want to talk to a person”.',
    other: 'Deutsche Version',
  },
} as const;

export function demoPage(lang: 'de' | 'en'): string {
  const t = demoText[lang];
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
  header { background: #0f766e; color: #fff; padding: 1.5rem 2rem; }
  main { max-width: 48rem; margin: 2rem auto; padding: 0 2rem; }
  .products { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 1rem; }
  .product { background: #fff; border-radius: .5rem; padding: 1rem; box-shadow: 0 1px 3px rgb(0 0 0 / .1); }
  a { color: #0f766e; }
</style>
</head>
<body>
<header><h1>${t.h1}</h1></header>
<main>
  <p>${t.lead}</p>
  <p><a href="/demo?lang=${lang === 'de' ? 'en' : 'de'}">${t.other}</a></p>
  <div class="products">
    <div class="product"><strong>Bergschuh</strong><br>129,00 €</div>
    <div class="product"><strong>Lodenjacke</strong><br>249,00 €</div>
    <div class="product"><strong>Trinkflasche</strong><br>19,90 €</div>
  </div>
</main>
<script src="/widget.js" data-site="demo" data-lang="${lang}" async></script>
</body>
</html>`;
}

export function consolePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Servus console</title>
</head>
<body>
<main>
  <h1>Servus console</h1>
  <p>The agent console is not built yet (issue 5). The agent API it will use is live: log in with
  <code>POST /api/auth/login</code>, then <code>GET /api/conversations</code>, and the agent socket at <code>/ws/agent</code>.
  See docs/protocol.md.</p>
</main>
</body>
</html>`;
}
