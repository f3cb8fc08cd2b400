// The site's public widget settings (GET /api/widget/config?site=KEY), merged with the script
// tag's data attributes (which win).
import { DEFAULT_WIDGET_COLOR, type WidgetConfig, type WidgetConfigResponse } from '@servus/shared';
import type { LoaderOptions } from '../public-api.js';

/** The server's answer; without one (offline, blocked) the fallback has no hours and no rules. */
export type SiteConfig = Omit<WidgetConfig, 'hours' | 'proactive'> & Partial<Pick<WidgetConfig, 'hours' | 'proactive'>>;

/** Used when the config cannot be fetched (offline, blocked): the chat still works, plainly. */
export const fallbackConfig = (site: string): SiteConfig => ({
  key: site,
  name: site,
  color: DEFAULT_WIDGET_COLOR,
  position: 'right',
  title: { de: 'Chat', en: 'Chat' },
  greeting: { de: '', en: '' },
  botName: 'Bot',
  botAvatarUrl: null,
  agentAvatarUrl: null,
  defaultLang: 'de',
  preChatForm: { enabled: false, fields: [] },
  ratings: { nps: false, ces: false },
});

/**
 * The site's config (the loader's one fetch of it, `host.config`) with the script tag's data
 * attributes applied; null when the site does not allow this page's origin (the widget stops).
 */
export async function loadConfig(options: LoaderOptions, fetched: () => Promise<unknown>): Promise<SiteConfig | null> {
  let config = fallbackConfig(options.site);
  const body = await fetched();
  if (body === false) return null;
  // Null when it could not be fetched (offline, blocked): the widget still works with defaults.
  const site = (body as Partial<WidgetConfigResponse> | null)?.site;
  if (site) config = { ...config, ...site };
  if (options.color) config.color = options.color;
  if (options.position) config.position = options.position;
  if (options.title) config.title = { de: options.title, en: options.title };
  if (options.greeting) config.greeting = { de: options.greeting, en: options.greeting };
  if (options.lang) config.defaultLang = options.lang;
  return config;
}

/** Only http(s) image URLs are used as avatars. */
export const safeImage = (url: string | null | undefined) => (url && /^https?:\/\//i.test(url) ? url : null);
