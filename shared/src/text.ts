// Text a storage engine can hold, the same on SQLite and PostgreSQL: every text field a client,
// an admin or an FAQ file supplies goes through cleanText before it is validated further.

/** NUL (PostgreSQL's text cannot hold it) and the other C0 controls but tab, line feed and return. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;
/** A UTF-16 surrogate without its pair: not encodable as UTF-8, so each driver would do its own thing. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Whether the text holds a control character or any surrogate (paired ones too): only then is there work to do. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const SUSPECT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF]/;

/** Drops control characters (tab, newlines kept) and replaces lone surrogates with U+FFFD. */
export function cleanText(text: string): string {
  // Every frame's text passes here: one scan, and no copy, for the text that needs no cleaning.
  if (!SUSPECT.test(text)) return text;
  return text.replace(CONTROLS, '').replace(LONE_SURROGATE, '\uFFFD');
}
