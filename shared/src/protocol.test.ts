import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_FRAME_TYPES, type ServerFrame } from './protocol.js';

// Compile-time: the list names every member of the union (a new frame type without an entry fails typecheck).
type Unlisted = Exclude<ServerFrame['type'], (typeof SERVER_FRAME_TYPES)[number]>;
const everyFrameListed: [Unlisted] extends [never] ? true : false = true;

describe('server frames', () => {
  it('lists every frame of the ServerFrame union once', () => {
    expect(everyFrameListed).toBe(true);
    expect(new Set(SERVER_FRAME_TYPES).size).toBe(SERVER_FRAME_TYPES.length);
  });

  it('are the frames docs/protocol.md documents, each with a row of fields', () => {
    const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Server → client'), doc.indexOf('## Errors and close codes'));
    const documented = [...section.matchAll(/^\| `([a-z.]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...SERVER_FRAME_TYPES].sort());
  });
});
