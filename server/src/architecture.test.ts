// The folders of server/src name the architecture (docs/architecture.md), and their imports go one
// way: core at the bottom, storage on it, the domain (conversations, bot, presence, sites, auth)
// above, the ways in (realtime, http, mail, metrics) above that, and app/ wiring it all. A folder
// loop, or the bot used other than through bot/index.ts, fails here before it becomes a tangle.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('.', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(path) && !/\.test\.tsx?$/.test(path) ? [path] : [];
  });
}

/** Relative imports of every non-test source, as [from, to] paths relative to server/src. */
function imports(): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of sources(src)) {
    if (relative(src, file).startsWith('testing/')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      edges.push([relative(src, file), relative(src, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts')]);
    }
  }
  return edges;
}

const folderOf = (path: string) => (path.includes('/') ? path.split('/')[0]! : '(entry points)');

describe('server/src architecture', () => {
  it('has no import loop between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const [from, to] of imports()) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a !== b) graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    const loops: string[] = [];
    const walk = (node: string, path: string[]) => {
      for (const next of graph.get(node) ?? []) {
        if (path.includes(next)) loops.push([...path.slice(path.indexOf(next)), next].join(' -> '));
        else walk(next, [...path, next]);
      }
    };
    for (const node of graph.keys()) walk(node, [node]);
    expect(loops).toEqual([]);
    // The layers named in docs/architecture.md, bottom up.
    expect(graph.get('core')).toBeUndefined();
    expect([...(graph.get('storage') ?? [])]).toEqual(['core']);
  });

  it('uses the bot only through bot/index.ts', () => {
    const inside = imports().filter(([from, to]) => !from.startsWith('bot/') && to.startsWith('bot/') && to !== 'bot/index.ts');
    expect(inside).toEqual([]);
  });

  it('keeps frames out of the domain: conversations/ imports neither realtime/ nor http/', () => {
    const outward = imports().filter(([from, to]) => from.startsWith('conversations/') && /^(realtime|http)\//.test(to));
    expect(outward).toEqual([]);
  });
});
