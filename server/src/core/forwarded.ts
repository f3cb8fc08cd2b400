// What a request says about its client and about the origin it was sent to. Behind a proxy the
// X-Forwarded-For, -Proto and -Host headers say it, but only a proxy we trust (TRUST_PROXY) may:
// anyone else could write them. PUBLIC_URL, when set, is the origin, whatever the headers say.

type Headers = Record<string, string | string[] | undefined>;

export interface ForwardedOptions {
  trustProxy: boolean;
  publicUrl?: string | undefined;
}

/** The first value of a header that proxies append to (`a, b, c`). */
function first(headers: Headers, name: string): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.split(',')[0]?.trim();
  return value || undefined;
}

/** The client's address: the first X-Forwarded-For entry behind a trusted proxy, else the peer. */
export function clientAddress(headers: Headers, peer: string | undefined, { trustProxy }: ForwardedOptions): string {
  return (trustProxy ? first(headers, 'x-forwarded-for') : undefined) ?? peer ?? 'unknown';
}

/** The origin the browser sent the request to, e.g. `https://chat.example.com`; null without a Host. */
export function requestOrigin(headers: Headers, { trustProxy, publicUrl }: ForwardedOptions): string | null {
  if (publicUrl) return new URL(publicUrl).origin;
  const proto = (trustProxy ? first(headers, 'x-forwarded-proto') : undefined)?.toLowerCase();
  const host = (trustProxy ? first(headers, 'x-forwarded-host') : undefined) ?? first(headers, 'host');
  if (!host) return null;
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}

/** Whether the browser talks to us over https (the session cookie is then Secure). */
export const isHttps = (headers: Headers, options: ForwardedOptions): boolean =>
  requestOrigin(headers, options)?.startsWith('https:') ?? false;
