// Write-path micro-benchmark: the conversation service and the group-commit queue on a fresh SQLite
// file, no sockets. Every conversation has one visitor and one agent message in flight at a time
// (as the socket server's per-socket command chain allows), so batches fill the way they do under
// the closed-loop bench. Prints one JSON line: persisted msgs/s and the event loop's busy share.
//   node server/dist/bench/write-path.js [conversations=500] [seconds=5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../storage/db.js';
import { createWriteQueue } from '../storage/write-queue.js';
import { prepareSqliteStatements } from '../storage/sqlite-statements.js';
import { createLocalHub } from '../pubsub/hub.js';
import { createConversations } from '../conversations/index.js';
import { connectFanout } from '../realtime/fanout.js';
import type { VisitorActor } from '../core/actors.js';
import { insertDemoAgent } from '../testing/rows.js';
import { silentBot } from '../bot/index.js';
import { createAuth } from '../auth/auth.js';
import { seed, DEMO_SITE } from '../app/seed.js';
import { randomId } from '../core/ids.js';

const conversations = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 5);
/** 'inline' for comparison: SQLite's automatic checkpoint inside COMMIT, as before the background checkpointer. */
const walCheckpoints = process.argv[4] === 'inline' ? 'inline' : 'background';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'servus-write-path-'));
  const database = await openDatabase({ dataDir: dir, sqliteSynchronous: 'FULL', walCheckpoints });
  const { db } = database;
  await seed({ db, adminEmail: 'bench@example.com', adminPassword: 'bench-password-1', seedDemo: true, exampleFaqDir: dir, faqDir: dir });
  const agent = await insertDemoAgent(db, randomId('a'), 100_000);
  let batches = 0;
  const statements = database.sqlite ? prepareSqliteStatements(database.sqlite) : undefined;
  const writes = createWriteQueue(db, { onBatch: () => void (batches += 1), batchHooks: statements });
  const domain = createConversations({
    db,
    dialect: database.dialect,
    writes,
    bots: silentBot,
    reopenWindowMs: 86_400_000,
    defaultHandlingSeconds: 300,
    sqlite: statements,
  });
  // As in a server: every commit is serialised into frames for the hub.
  connectFanout({ conversations: domain, hub: createLocalHub() });
  const service = domain.commands;
  const auth = createAuth({ db, dialect: database.dialect, sessionTtlMs: 3_600_000 });
  const pairs: { visitor: VisitorActor; conversationId: string }[] = [];
  for (let i = 0; i < conversations; i++) {
    const { visitor } = await auth.createVisitor(DEMO_SITE, '{}');
    const handoff = await service.requestHandoff(visitor, { cid: 'h' });
    await service.claim(agent, { cid: `c${i}`, conversationId: handoff.conversationId! });
    pairs.push({ visitor, conversationId: handoff.conversationId! });
  }
  let sent = 0;
  let running = true;
  let n = 0;
  const text = 'bench hello, this is a typical chat message';
  async function loop(send: () => Promise<unknown>): Promise<void> {
    while (running) {
      await send();
      sent += 1;
      // A socket's next frame arrives from I/O, not as a microtask: without this the loop never yields.
      await new Promise((r) => setImmediate(r));
    }
  }
  const startedElu = performance.eventLoopUtilization();
  const startedCpu = process.cpuUsage();
  const started = performance.now();
  const loops = pairs.flatMap((p) => [
    loop(() => service.visitorMessage(p.visitor, { cid: `v${n++}`, text, conversationId: p.conversationId })),
    loop(() => service.agentMessage(agent, { cid: `a${n++}`, text, conversationId: p.conversationId })),
  ]);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  const elu = performance.eventLoopUtilization(startedElu);
  const cpu = process.cpuUsage(startedCpu);
  const done = sent;
  await Promise.all(loops);
  await writes.drain();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      conversations,
      wal_checkpoints: walCheckpoints,
      msgs_per_s: Math.round(done / elapsed),
      batches_per_s: Math.round(batches / elapsed),
      event_loop_busy: Math.round(elu.utilization * 1000) / 1000,
      cpu_us_per_msg: Math.round((cpu.user + cpu.system) / done),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
