// A small, safe Markdown subset for FAQ answers: paragraphs, line breaks, bullet and numbered
// lists, **bold**, *italic* / _italic_, [links](https://…) and bare URLs. It parses to a tiny tree
// that components render as DOM nodes: nothing here ever becomes an HTML string.

export type Inline = string | { b: Inline[] } | { i: Inline[] } | { a: string; c: Inline[] } | { br: true };
export type Block = { p: Inline[] } | { ul: Inline[][] } | { ol: Inline[][] };

/** http(s) and mailto only; anything else (javascript:, data:, relative) is not a link. */
export function safeHref(url: string): string | null {
  const u = url.trim();
  return /^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(u) ? u : null;
}

const INLINE =
  /\*\*(.+?)\*\*|\*(\S(?:.*?\S)?)\*|(?<![\w])_(\S(?:.*?\S)?)_(?![\w])|\[([^\]]+)\]\(([^)\s]+)\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/g;

export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  const push = (s: string) => {
    s.split('\n').forEach((line, i) => {
      if (i) out.push({ br: true });
      if (line) out.push(line);
    });
  };
  if (depth > 3) {
    push(text);
    return out;
  }
  for (const m of text.matchAll(INLINE)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) out.push({ b: parseInline(m[1], depth + 1) });
    // *italic* or _italic_
    else if ((m[2] ?? m[3]) !== undefined) out.push({ i: parseInline((m[2] ?? m[3])!, depth + 1) });
    else if (m[4] !== undefined) {
      const href = safeHref(m[5]!);
      if (href) out.push({ a: href, c: parseInline(m[4], depth + 1) });
      else push(m[4]);
    } else if (m[6] !== undefined) out.push({ a: m[6], c: [m[6]] });
  }
  push(text.slice(last));
  return out;
}

const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBER = /^\s*\d{1,3}[.)]\s+(.*)$/;

export function parseMarkdown(src: string): Block[] {
  const blocks: Block[] = [];
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  let para: string[] = [];
  let list: { kind: 'ul' | 'ol'; items: string[] } | null = null;
  const endPara = () => {
    if (para.length) blocks.push({ p: parseInline(para.join('\n')) });
    para = [];
  };
  const endList = () => {
    if (list) blocks.push({ [list.kind]: list.items.map((i) => parseInline(i)) } as Block);
    list = null;
  };
  for (const line of lines) {
    const bullet = BULLET.exec(line);
    const number = bullet ? null : NUMBER.exec(line);
    const kind = bullet ? 'ul' : number ? 'ol' : null;
    if (kind) {
      endPara();
      if (list && list.kind !== kind) endList();
      list ??= { kind, items: [] };
      list.items.push((bullet ?? number)![1]!);
    } else if (!line.trim()) {
      endPara();
      endList();
    } else if (list && /^\s+\S/.test(line)) {
      // an indented continuation of the last list item
      list.items[list.items.length - 1] += ' ' + line.trim();
    } else {
      endList();
      para.push(line);
    }
  }
  endPara();
  endList();
  return blocks;
}

/** The text a reader sees (for the live region): marks dropped, links as their text, one list item a line. */
export function plainText(src: string): string {
  const inline = (nodes: Inline[]): string =>
    nodes.map((n) => (typeof n === 'string' ? n : 'br' in n ? '\n' : inline('b' in n ? n.b : 'i' in n ? n.i : n.c))).join('');
  return parseMarkdown(src)
    .map((b) =>
      'p' in b ? inline(b.p) : 'ul' in b ? b.ul.map(inline).join('\n') : b.ol.map((item, i) => `${i + 1}. ${inline(item)}`).join('\n'),
    )
    .join('\n');
}
