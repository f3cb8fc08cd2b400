// What a visitor wrote in a reply by email, without the quoted conversation below it, the
// "On … wrote:" line that introduces it, and their signature. Plain text only (mail clients send a
// text part; an HTML-only mail is turned into text before it gets here).

/** Lines that start the quoted original (German and English clients). */
const QUOTE_HEADERS = [
  /^On .{1,200} wrote:\s*$/i,
  /^Am .{1,200} schrieb .{0,200}:\s*$/i,
  /^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Originalnachricht)\s*-{2,}\s*$/i,
  /^_{10,}\s*$/,
  /^(From|Von):\s.+$/i,
];
/** Signature delimiters and the usual device footers. */
const SIGNATURES = [/^-- ?$/, /^(Sent from|Gesendet von) (my|meinem) .{1,60}$/i, /^Von meinem .{1,60} gesendet$/i];

export function stripReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (QUOTE_HEADERS.some((re) => re.test(trimmed))) break;
    // "On Mon, 7 Dec 2026 at 10:00, Servus <reply+…>" wrapped over two lines before "wrote:".
    if (/^(On|Am) /i.test(trimmed) && /(wrote|schrieb):\s*$/i.test(lines[i + 1]?.trim() ?? '')) break;
    if (SIGNATURES.some((re) => re.test(trimmed))) break;
    if (trimmed.startsWith('>')) {
      // A quoted block: the rest is the original unless the visitor wrote below it (inline replies).
      const rest = lines.slice(i).filter((l) => l.trim() && !l.trim().startsWith('>'));
      if (!rest.length) break;
      continue;
    }
    kept.push(line);
  }
  return kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
