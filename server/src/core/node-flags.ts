// Node.js flags the server is meant to run with: `npm start`, the benchmark and the test harness
// pass them, and docs/configuration.md tells deployers who start `server/dist/main.js` themselves.
//
// --max-semi-space-size=64: V8's young generation (where every frame, row and promise of a message
// starts life) may grow to 64 MB per semi-space instead of 16. Under heavy load a message lives
// a few hundred milliseconds (queued, committed, synced, relayed), so with 16 MB most of the young
// generation is still alive at each scavenge and is copied again and again: 30 % of the time went
// to scavenges in the closed-loop benchmark. With 64 MB they are four times rarer for the same live
// data. Measured with `npm run bench`'s throughput phase, four interleaved runs each: 14,800 →
// 20,500 msgs/s persisted (median). The young generation only grows to this size under load.
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The flags this process was started without (from the command line or NODE_OPTIONS). */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.split('=')[0]);
  return SERVER_NODE_FLAGS.filter((flag) => !given.includes(flag.split('=')[0]!));
}
