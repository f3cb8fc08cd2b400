// A link from a reply mail (docs/email.md): its single-use token is exchanged for a visitor token
// and the conversation, stored like the widget's own, before the socket starts. Its own chunk: only
// a visitor who follows such a link loads it.
import type { WidgetLinkResponse } from '@servus/shared';
import type { LoaderOptions } from '../public-api.js';
import type { SafeStorage } from '../storage.js';

export async function redeemLink(options: LoaderOptions, local: SafeStorage, key: (name: string) => string): Promise<void> {
  try {
    const res = await fetch(`${options.base}api/widget/link`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ site: options.site, token: options.link }),
    });
    if (!res.ok) return console.warn('[servus] this chat link is used or expired');
    const body = (await res.json()) as WidgetLinkResponse;
    local.set(key('token'), body.token);
    local.set(key('conv'), body.conversationId);
    local.remove(key('read'));
  } catch (err) {
    console.warn('[servus] chat link', err);
  }
}
