// The `/shortcut` the agent is typing, found before the caret (canned responses).
/** The `/word` right before the caret, if any. */
export function slashTokenBefore(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)\/([\w-]*)$/.exec(text.slice(0, caret));
  return m ? { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() } : null;
}
