// `npm run bench:attachments`: upload and download throughput of a 5 MB file, and the server's
// memory while 20 visitors upload at once, with 1 MB and with 5 MB files (memory must not grow with
// the file's size: uploads stream through in chunks). The server is its own process on a fresh
// SQLite folder (or PostgreSQL with --postgres URL); its RSS is sampled from /proc every 20 ms.
// Prints a table and, last, one JSON line.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { SUBPROTOCOL } from '@servus/shared';
import { startServerProcess } from '../testing/server-process.js';

const pgIndex = process.argv.indexOf('--postgres');
const postgres = pgIndex > 0 ? (process.argv[pgIndex + 1] ?? 'postgres://postgres@127.0.0.1:5432/test') : null;
const MB = 1024 * 1024;

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

async function newVisitor(url: string): Promise<string> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws/visitor?site=demo`, [SUBPROTOCOL]);
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'visitor.hello', context: { lang: 'en' } })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; token?: string };
      if (frame.type === 'welcome') {
        ws.close();
        resolve(frame.token!);
      }
    });
  });
}

async function upload(url: string, token: string, body: Buffer, cid: string): Promise<string> {
  const res = await fetch(`${url}/api/visitor/attachments?cid=${cid}&name=bench.txt`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-servus-site': 'demo' },
    body: new Uint8Array(body),
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { attachment: { id: string } }).attachment.id;
}

async function download(url: string, token: string, id: string): Promise<number> {
  const res = await fetch(`${url}/api/visitor/attachments/${id}`, {
    headers: { authorization: `Bearer ${token}`, 'x-servus-site': 'demo' },
  });
  let bytes = 0;
  for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
  return bytes;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const server = await startServerProcess({
    env: {
      SEED_DEMO: 'true',
      ATTACHMENT_UPLOADS_PER_MINUTE: '1000',
      ...(postgres ? { DATABASE_URL: postgres, DATABASE_SCHEMA: `bench_att_${process.pid}` } : {}),
    },
  });
  const pid = server.child.pid!;
  try {
    // Text passes through unchanged (an image would only add the rewrite's copying); 5 MB of it.
    const file = Buffer.alloc(5 * MB, 'Servus attachment benchmark line of text.\n');
    const small = file.subarray(0, 1 * MB);
    const token = await newVisitor(server.url);
    await upload(server.url, token, small, 'warm'); // warm-up: JIT, first chunk statements

    const ups: number[] = [];
    const downs: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      const id = await upload(server.url, token, file, `u${i}`);
      ups.push(file.length / MB / ((performance.now() - t) / 1000));
      t = performance.now();
      if ((await download(server.url, token, id)) !== file.length) throw new Error('short download');
      downs.push(file.length / MB / ((performance.now() - t) / 1000));
    }

    const concurrent = async (body: Buffer, tag: string) => {
      const tokens = await Promise.all(Array.from({ length: 20 }, () => newVisitor(server.url)));
      global.gc?.();
      const before = rssOf(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 20);
      const t = performance.now();
      await Promise.all(tokens.map((tk, i) => upload(server.url, tk, body, `${tag}${i}`)));
      const seconds = (performance.now() - t) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, rssOf(pid));
      return { before, peak, growth: peak - before, seconds, mbPerSecond: (20 * body.length) / MB / seconds };
    };
    const oneMb = await concurrent(small, 'c1_');
    const fiveMb = await concurrent(file, 'c5_');
    const nineMb = await concurrent(Buffer.alloc(9 * MB, 'Servus attachment benchmark line of text.\n'), 'c9_');

    const result = {
      database: postgres ? 'postgres' : 'sqlite',
      upload5MbMBps: Math.round(median(ups) * 10) / 10,
      download5MbMBps: Math.round(median(downs) * 10) / 10,
      concurrent20x1MbSeconds: Math.round(oneMb.seconds * 100) / 100,
      concurrent20x1MbRssGrowthMB: Math.round((oneMb.growth / MB) * 10) / 10,
      concurrent20x5MbSeconds: Math.round(fiveMb.seconds * 100) / 100,
      concurrent20x5MbRssGrowthMB: Math.round((fiveMb.growth / MB) * 10) / 10,
      concurrent20x5MbPeakRssMB: Math.round(fiveMb.peak / MB),
      concurrent20x9MbSeconds: Math.round(nineMb.seconds * 100) / 100,
      concurrent20x9MbRssGrowthMB: Math.round((nineMb.growth / MB) * 10) / 10,
      concurrent20x9MbPeakRssMB: Math.round(nineMb.peak / MB),
    };
    console.log(`attachments on ${result.database}`);
    console.log(`  one 5 MB upload       ${result.upload5MbMBps} MB/s (median of 5)`);
    console.log(`  one 5 MB download     ${result.download5MbMBps} MB/s (median of 5)`);
    console.log(`  20 × 1 MB at once     ${result.concurrent20x1MbSeconds} s, server RSS +${result.concurrent20x1MbRssGrowthMB} MB`);
    console.log(
      `  20 × 5 MB at once     ${result.concurrent20x5MbSeconds} s, server RSS +${result.concurrent20x5MbRssGrowthMB} MB (peak ${result.concurrent20x5MbPeakRssMB} MB)`,
    );
    console.log(
      `  20 × 9 MB at once     ${result.concurrent20x9MbSeconds} s, server RSS +${result.concurrent20x9MbRssGrowthMB} MB (peak ${result.concurrent20x9MbPeakRssMB} MB)`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
    if (postgres) {
      // The schema this run created holds some 300 MB of files: dropped again.
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: postgres });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "bench_att_${process.pid}" CASCADE`);
      await client.end();
    }
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
