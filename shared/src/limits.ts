// Protocol limits every side agrees on. The server may be configured lower (never higher than
// what the widget can be asked to respect); these are the documented defaults.

export const PROTOCOL_VERSION = 1 as const;
/** Sub-protocol name a client offers on the WebSocket upgrade. */
export const SUBPROTOCOL = 'servus.v1' as const;
/** Prefix of the sub-protocol entry that carries a visitor token: `servus.token.<token>`. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'servus.token.' as const;

/** Commands a client (widget, console) keeps until they are settled; a name of its own so a client bundle needs no more of DEFAULT_LIMITS. */
export const OUTBOX_LENGTH = 50;

export const DEFAULT_LIMITS = {
  /** Largest WebSocket frame the server reads, in bytes. */
  maxFrameBytes: 64 * 1024,
  /** Longest chat message or note, in characters (UTF-16 code units). */
  maxMessageChars: 4000,
  /** Longest client command id. */
  maxCidChars: 64,
  /** Messages a visitor may send in one rate window. */
  visitorMessagesPerWindow: 20,
  /** The rate window in milliseconds. */
  rateWindowMs: 10_000,
  /** Frames of any kind a socket may send in one rate window before it is closed. */
  framesPerWindow: 200,
  /** Open sockets allowed per client IP. */
  connectionsPerIp: 50,
  /** Seconds a socket may stay open without authenticating. */
  authTimeoutSeconds: 10,
  /** Heartbeat: the server pings this often and terminates a socket that missed the last pong. */
  heartbeatSeconds: 25,
  /** Bytes queued for one socket beyond which it is considered too slow and closed. */
  socketHighWaterBytes: 1024 * 1024,
  /** Events replayed per resume frame batch (the client asks again for more). */
  replayBatch: 500,
  /** Client-side outbox length (widget and console). */
  outboxLength: OUTBOX_LENGTH,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

/** Reconnect backoff used by every client: capped, exponential, full jitter. */
export const RECONNECT = { minMs: 500, maxMs: 20_000 } as const;

/** Attachments: the defaults of a site's `attachments` settings (docs/attachments.md). */
export const ATTACHMENT_DEFAULTS = {
  /** Largest file, in bytes. */
  maxBytes: 10 * 1024 * 1024,
  /** Files per conversation (both sides together). */
  maxPerConversation: 20,
  /** Types accepted, as sniffed from the bytes. */
  types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
} as const;

/** Every type the server can recognise from the bytes; a site's `attachments.types` picks from these. */
export const ATTACHMENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  /** iPhone photos (HEIC) and other HEIF images: a download (only Safari shows them), Exif and XMP blanked. */
  'image/heic',
  'image/heif',
  'application/pdf',
  'text/plain',
  'application/zip',
  'image/svg+xml',
  'text/html',
  'application/xml',
  'application/octet-stream',
] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** The largest file a site may allow, in bytes (its `attachments.maxBytes` at most). */
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;
