// Helpers that run in the page (DOM code, so they live with the browser tests rather than in the
// server's sources): handing the widget a file, and axe-core's accessibility checks. Used by the
// console's, the dashboard's and the widget's Chromium tests.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** Hands a file to the widget the way a browser would: a paste on the composer, or a drop on the panel. */
export async function handOver(page: Page, how: 'paste' | 'drop', file: { name: string; type: string; bytes: Buffer }) {
  await page.locator('servus-chat').evaluate(
    (host, { how, name, type, b64 }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], name, { type }));
      const root = host.shadowRoot!;
      if (how === 'paste')
        root.querySelector('#sv-input')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true }));
      else {
        const panel = root.querySelector('.panel')!;
        panel.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
        panel.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    },
    { how, name: file.name, type: file.type, b64: file.bytes.toString('base64') },
  );
}

/** The WCAG 2.0 / 2.1 A and AA rules (the console's and the dashboard's checks). */
export const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * axe-core's violations on the page (open shadow roots included), within `include` (selectors, as
 * axe takes them) or the whole document, as `id (nodes): targets`.
 */
export async function axeViolations(page: Page, include?: string[][], tags: string[] = WCAG_21_AA): Promise<string[]> {
  // Evaluated over the DevTools protocol, so the page's CSP does not block it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource());
  return page.evaluate(
    async ({ context, tags }) => {
      type Result = { violations: { id: string; nodes: { target: unknown[] }[] }[] };
      const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<Result> } }).axe;
      const result = await axe.run(context ? { include: context } : document, {
        runOnly: { type: 'tag', values: tags },
      });
      return result.violations.map((v) => `${v.id} (${v.nodes.length}): ${JSON.stringify(v.nodes.slice(0, 12).map((n) => n.target))}`);
    },
    { context: include ?? null, tags },
  );
}

let axeSourceText: string | undefined;
function axeSource(): string {
  axeSourceText ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  return axeSourceText;
}
