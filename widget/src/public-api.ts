// The types of the JS API on the host page (window.Servus). servus.d.ts re-declares them for site owners.

export type Lang = 'de' | 'en';
export type Position = 'left' | 'right';

export interface IdentifyOptions {
  /** Your user id. */
  id: string;
  name?: string;
  email?: string;
  /** Hex HMAC-SHA256(id, site secret), computed on your server. Without a valid hash the identity is not trusted. */
  hash: string;
}

export interface ServusEventMap {
  open: Record<string, never>;
  close: Record<string, never>;
  /** A message from the team or the bot (not the visitor's own). */
  message: { text: string; author: { type: string; name?: string }; at: number };
  unread: { count: number };
}
export type ServusEvent = keyof ServusEventMap;

/** Options read from the script tag's data attributes. */
export interface LoaderOptions {
  site: string;
  /** Origin + path the script came from, ending in '/': the server base and where the chunks live. */
  base: string;
  lang?: Lang;
  color?: string;
  position?: Position;
  title?: string;
  greeting?: string;
  /** data-open: open the panel on load. */
  open?: boolean;
  /** data-offset-x / -y / -mobile-x / -mobile-y: the launcher's distance from the page's edges, as CSS lengths ("24px"). */
  offset: Partial<Record<OffsetName, string>>;
  /** A reply mail's single-use link (`#servus-link=TOKEN` on the page): redeemed, then the chat opens. */
  link?: string;
}

/** The launcher's offsets: from its side and from the bottom, on desktops and on phones (under 480 px). */
export type OffsetName = 'x' | 'y' | 'mobileX' | 'mobileY';

export type Command = ['open'] | ['close'] | ['toggle'] | ['identify', IdentifyOptions] | ['setLanguage', Lang] | ['shutdown'];

/** What the loader hands the app chunk. */
export interface Host {
  root: ShadowRoot;
  launcher: HTMLButtonElement;
  options: LoaderOptions;
  emit<E extends ServusEvent>(event: E, data: ServusEventMap[E]): void;
  /** Adds a stylesheet to the shadow root (adoptedStyleSheets, so strict CSP pages work). */
  addStyles(css: string): void;
  /** Applies a theme colour (and readable text colours derived from it) to the widget. */
  theme(color: string | undefined): void;
  /**
   * The site's config as `GET /api/widget/config` answers it (`{ site }`), or null when that failed:
   * fetched once, by whoever asks first (the loader after the page's load event, or the app).
   */
  config(): Promise<unknown>;
}

export interface App {
  command(cmd: Command): void;
}
