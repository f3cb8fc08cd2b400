// Browser tests drive Debian's Chromium (no browser downloads work on these machines). The flags keep
// it from reaching for the network at start (the sandboxed network refuses it, many times over).
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

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
