// Client command ids (`cid`): unique per sender, so the server can tell a retry from a new command.
// Time, a per-page counter and randomness: unique within a page without relying on the clock, and
// across reloads and tabs without relying on the counter. At most 64 characters of [A-Za-z0-9_.:-].
let counter = 0;

export function newCid(prefix = 'c', random: () => number = Math.random, now: () => number = Date.now): string {
  return prefix + now().toString(36) + '.' + (counter++).toString(36) + '.' + Math.floor(random() * 2 ** 40).toString(36);
}
