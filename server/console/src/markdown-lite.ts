// The bot's answers are FAQ Markdown. The console shows the common inline parts (bold, italic,
// http(s) links) as Lit templates built from text parts: no HTML string is ever parsed, so nothing
// in an answer can become markup. Everything else stays as written.
import { html, type TemplateResult } from 'lit';
import { safeHttpUrl } from './format.js';

const TOKEN = /\*\*([^*\n]+)\*\*|\*([^*\n]+)\*|\[([^\]\n]+)\]\(([^)\s]+)\)/g;

export function markdownLite(text: string): (string | TemplateResult)[] {
  const out: (string | TemplateResult)[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    if (m[1] !== undefined) out.push(html`<strong>${m[1]}</strong>`);
    else if (m[2] !== undefined) out.push(html`<em>${m[2]}</em>`);
    else {
      const href = safeHttpUrl(m[4]);
      out.push(href ? html`<a href=${href} target="_blank" rel="noopener noreferrer nofollow">${m[3]}</a>` : m[0]);
    }
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
