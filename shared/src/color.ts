// Readable colours from any theme colour: WCAG relative luminance and contrast, no dependencies
// (shared by the widget's loader and the console's greeting preview, so it stays tiny).

/** Parses #rgb / #rrggbb; anything else gives null (the caller falls back to the default colour). */
export function parseHex(color: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (!m) return null;
  let h = m[1]!;
  if (h.length === 3) h = h[0]! + h[0] + h[1] + h[1] + h[2] + h[2];
  const n = parseInt(h, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: [number, number, number], b: [number, number, number]): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const WHITE: [number, number, number] = [255, 255, 255];
// Pure black: with any darker grey the worst-case colour would stay below 4.5:1 against both.
const INK: [number, number, number] = [0, 0, 0];

/** Text colour on a background of the theme colour: white or near-black, whichever contrasts more (always >= 4.5:1). */
export function onColor(rgb: [number, number, number]): string {
  return contrast(rgb, WHITE) >= contrast(rgb, INK) ? '#fff' : '#000';
}

const hex = (rgb: [number, number, number]) => '#' + ((1 << 24) | (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]).toString(16).slice(1);

/** The theme colour darkened until it reads on white at `ratio` (links, focus rings, accents on white). */
export function readableOn(rgb: [number, number, number], ratio = 4.5): string {
  let c = rgb;
  for (let i = 0; i < 20 && contrast(c, WHITE) < ratio; i++) c = [c[0] * 0.85, c[1] * 0.85, c[2] * 0.85].map(Math.round) as typeof c;
  return hex(c);
}

/** CSS custom properties for a theme colour. */
export function themeVars(color: string | undefined, fallback = '#0f766e'): Record<string, string> {
  const rgb = parseHex(color ?? '') ?? parseHex(fallback)!;
  return { '--sv-c': hex(rgb), '--sv-on': onColor(rgb), '--sv-ink': readableOn(rgb) };
}
