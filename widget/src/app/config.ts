// The site's public widget settings (GET /api/widget/config?site=KEY), merged with the script
// tag's data attributes (which win).
import type { LoaderOptions, Lang, Position } from '../public-api.js';
import type { ProactiveRule } from './proactive.js';

export interface SiteConfig {
  key: string;
  name: string;
  color: string;
  position: Position;
  title: { de: string; en: string };
  greeting: { de: string; en: string };
  botName: string;
  botAvatarUrl: string | null;
  agentAvatarUrl: string | null;
  defaultLang: Lang;
  preChatForm: { enabled: boolean; fields: ('name' | 'email')[] };
  ratings: { nps: boolean; ces: boolean };
  hours?: { open: boolean; opensAt: number | null; timeZone: string | null };
  proactive?: ProactiveRule[];
}

/** Used when the config cannot be fetched (offline, blocked): the chat still works, plainly. */
export const fallbackConfig = (site: string): SiteConfig => ({
  key: site,
  name: site,
  color: '#0f766e',
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

/** The site's config (the loader's one fetch of it, `host.config`) with the script tag's data attributes applied. */
export async function loadConfig(options: LoaderOptions, fetched: () => Promise<unknown>): Promise<SiteConfig> {
  let config = fallbackConfig(options.site);
  // Null when it could not be fetched (offline, blocked): the widget still works with defaults.
  const site = ((await fetched()) as { site?: SiteConfig } | null)?.site;
  if (site) config = { ...config, ...site };
  const lang = options.lang;
  if (options.color) config.color = options.color;
  if (options.position) config.position = options.position;
  if (options.title) config.title = { de: options.title, en: options.title };
  if (options.greeting) config.greeting = { de: options.greeting, en: options.greeting };
  if (lang) config.defaultLang = lang;
  return config;
}

/** Only http(s) image URLs are used as avatars. */
export const safeImage = (url: string | null | undefined) => (url && /^https?:\/\//i.test(url) ? url : null);
