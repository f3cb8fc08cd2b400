// Types for the Servus widget's JS API on your page (window.Servus). Copy this file into your
// project (or reference it) to get checked calls: `Servus('identify', { id, hash })`.
// Documented in docs/widget.md.

export type ServusLanguage = 'de' | 'en';

export interface ServusIdentity {
  /** Your user id (1–128 characters). */
  id: string;
  name?: string;
  email?: string;
  /** Hex HMAC-SHA256(id, site secret), computed on your server. Without a valid hash the identity is refused. */
  hash: string;
}

export interface ServusEvents {
  /** The panel opened (launcher, API or proactive greeting). */
  open: Record<string, never>;
  /** The panel closed. */
  close: Record<string, never>;
  /** A new message from the bot or the team (not the visitor's own, not history replayed after a reload). */
  message: { text: string; author: { type: 'bot' | 'agent' | 'system'; name?: string }; at: number };
  /** The number of unread messages changed (0 when the visitor opens the panel). */
  unread: { count: number };
}

export interface ServusApi {
  (command: 'open' | 'close' | 'toggle' | 'shutdown'): void;
  (command: 'identify', identity: ServusIdentity): void;
  (command: 'setLanguage', language: ServusLanguage): void;
  <E extends keyof ServusEvents>(command: 'on' | 'off', event: E, handler: (data: ServusEvents[E]) => void): void;
  /** Calls made before widget.js loaded (the snippet's queue). */
  q?: ArrayLike<unknown>[];
}

declare global {
  interface Window {
    Servus: ServusApi;
  }
  var Servus: ServusApi;
}
