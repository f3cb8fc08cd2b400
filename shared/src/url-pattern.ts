// The URL pattern of proactive rules, matched the same way by the server (validation, tests) and
// the widget (which page greets): a glob where `*` is any run of characters. No dependencies, so the
// widget can import it without pulling in anything else.

/**
 * Whether a page (pathname + search, e.g. `/shop/shoes?size=42`) matches a rule's pattern. The
 * whole string must match; `*` matches any characters, including `/` and `?`. Linear time: no
 * regular expression is built from site input.
 */
export function matchesUrlPattern(pattern: string, page: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts.at(-1)!;
  if (parts.length === 1) return page === pattern;
  if (!page.startsWith(first) || page.length < first.length + last.length || !page.endsWith(last)) return false;
  let at = first.length;
  const end = page.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = page.indexOf(middle, at);
    if (found === -1 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}
