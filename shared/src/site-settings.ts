// A site's settings as stored, served by `GET /api/sites/:key/settings` and edited in the console
// (the server validates them: server/src/http/site-settings.ts). Proactive rules are kept beside
// them but have their own endpoint and type (server/src/proactive/rules.ts).

/** Limits of a site's name and settings: the server validates them, the console's form uses them. */
export const SITE_LIMITS = {
  name: 200,
  title: 120,
  greeting: 280,
  botName: 60,
  url: 2048,
  allowedOrigins: 50,
  notifyEmails: 20,
  intervalsPerDay: 6,
  holidays: 366,
  timeZone: 64,
  firstResponseSeconds: { min: 5, max: 86_400 },
  /** The launcher's offsets from the page's edges, in CSS px (the widget's loader reads the same range). */
  launcherOffset: { min: 0, max: 400 },
  /** Days after which a site's conversations are erased (privacy.retentionDays); 180 is suggested. */
  retentionDays: { min: 1, max: 3650 },
  privacyNotice: 300,
} as const;

/** Limits of a site's proactive rules (server/src/proactive/rules.ts validates them, the console's editor uses them); small, because the widget downloads every rule with its config. */
export const PROACTIVE_LIMITS = {
  maxRules: 20,
  maxPatternChars: 512,
  maxTextChars: 280,
  /** A greeting later than an hour on one page would never be seen. */
  maxDelaySeconds: 3600,
} as const;

/** The widget's colour when a site has none. */
export const DEFAULT_WIDGET_COLOR = '#0f766e';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface BusinessHours {
  /** IANA time zone, e.g. Europe/Vienna. */
  timeZone: string;
  /** Opening intervals per weekday (mon … sun), "HH:MM-HH:MM", end exclusive; absent or empty: closed. */
  weekly: Partial<Record<Weekday, string[]>>;
  /** Closed all day on these local dates (YYYY-MM-DD). */
  holidays?: string[];
}

export interface SiteSettings {
  color?: string;
  position?: 'left' | 'right';
  title?: { de?: string; en?: string };
  greeting?: { de?: string; en?: string };
  botName?: string;
  botAvatarUrl?: string | null;
  agentAvatarUrl?: string | null;
  defaultLang?: 'de' | 'en';
  /** Origins allowed to embed the widget; empty: any origin. */
  allowedOrigins?: string[];
  preChatForm?: { enabled: boolean; fields: ('name' | 'email')[] };
  ratings?: { nps: boolean; ces: boolean };
  /** Who is emailed about offline messages; default: the site's admins. */
  notifyEmails?: string[];
  /** Opening times; without them the team counts as open whenever an agent is online. */
  businessHours?: BusinessHours;
  /** Service-level target: the first human response within this many seconds counts as met (metrics; default 60). */
  serviceLevel?: { firstResponseSeconds: number };
  /**
   * The launcher's distance in CSS px from the page's side (x) and bottom (y), e.g. to clear a fixed
   * footer; on phones (under 480 px wide) mobileX / mobileY, else x / y. Each absent one: 20.
   * The script tag's data-offset-* attributes win.
   */
  launcherOffset?: LauncherOffset;
  /** Files in conversations (docs/attachments.md); each absent field has its default (ATTACHMENT_DEFAULTS). */
  attachments?: AttachmentSettings;
  /**
   * Data protection (docs/privacy.md): conversations and visitor data older than `retentionDays`
   * days are erased by a daily job (absent: kept); a notice line and link shown in the widget.
   */
  privacy?: { retentionDays?: number; notice?: { de?: string; en?: string }; noticeUrl?: string };
}

export interface AttachmentSettings {
  /** Off: neither side may send files. Default on. */
  enabled?: boolean;
  /** Largest file in bytes (default 10 MB, at most ATTACHMENT_MAX_BYTES). */
  maxBytes?: number;
  /** Files per conversation (default 20). */
  maxPerConversation?: number;
  /** Types accepted, as sniffed from the bytes (ATTACHMENT_TYPES). */
  types?: string[];
}

export interface LauncherOffset {
  x?: number;
  y?: number;
  mobileX?: number;
  mobileY?: number;
}
