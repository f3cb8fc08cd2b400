// The FAQ editor API against a real server: entries are read from and written back to the site's
// FAQ files (Markdown and YAML) without disturbing the rest of the file, only admins write, the
// bot test box answers from the files as saved, and unanswered questions become phrasings or
// entries in one step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../../testing/in-process.js';
import { login, newVisitor } from '../../testing/client.js';
import type { BotResponder } from '../../bot/index.js';
import { TEST_ADMIN } from '../../testing/server-process.js';
import { hashPassword, randomId } from '../../core/ids.js';
import { createFaqBots, parseFaq } from '../../bot/index.js';

let server: TestServer;
let admin: string;
let agent: string;
let demoDir: string;

beforeAll(async () => {
  server = await startTestServer();
  demoDir = join(server.dataDir, 'faq', 'demo');
  copyFileSync(fileURLToPath(new URL('../../../../examples/faq/shop.en.yaml', import.meta.url)), join(demoDir, 'shop.en.yaml'));
  const id = randomId('a');
  await server.database.db
    .insertInto('agents')
    .values({
      id,
      email: 'ana@example.com',
      name: 'Ana',
      role: 'agent',
      password_hash: await hashPassword('ana-password-1'),
      capacity: 3,
      created_at: Date.now(),
    })
    .execute();
  await server.database.db.insertInto('agent_sites').values({ agent_id: id, site_key: 'demo' }).execute();
  admin = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  agent = await login(server.url, 'ana@example.com', 'ana-password-1');
});
afterAll(() => server.close());

async function call(cookie: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { cookie, origin: server.url, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}
const file = (name: string) => readFileSync(join(demoDir, name), 'utf8');
type Entry = { id: string; question: string; variants: string[]; answer: string; file: string; lang?: string };

describe('FAQ editor API', () => {
  it('lists the entries of every FAQ file of the site, with the file each lives in', async () => {
    const r = await call(agent, 'GET', '/api/sites/demo/faq');
    expect(r.status).toBe(200);
    const entries = r.body.entries as Entry[];
    expect(entries.find((e) => e.id === 'versanddauer')).toMatchObject({ file: 'shop.de.md', lang: 'de' });
    expect(entries.find((e) => e.id === 'gift-wrapping')).toMatchObject({ file: 'shop.en.yaml', lang: 'en' });
    expect(r.body.files).toEqual(['shop.de.md', 'shop.en.md', 'shop.en.yaml']);
  });

  it('refuses writes by non-admins and sites the agent does not belong to', async () => {
    const entry = { question: 'Test?', answer: 'Yes.' };
    expect((await call(agent, 'POST', '/api/sites/demo/faq', entry)).status).toBe(403);
    expect((await call(admin, 'POST', '/api/sites/other/faq', entry)).status).toBe(404);
    expect((await call(admin, 'GET', '/api/sites/..%2F..%2Fetc/faq')).status).toBe(404);
    const bad = await call(admin, 'POST', '/api/sites/demo/faq', { question: '', answer: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_FRAME');
  });

  it('adds an entry to the file of its language and leaves the rest of the file byte for byte', async () => {
    const before = file('shop.de.md');
    const r = await call(admin, 'POST', '/api/sites/demo/faq', {
      question: 'Habt ihr Gutscheine?',
      variants: ['Kann ich einen Gutschein kaufen?', 'Geschenkgutschein'],
      answer: 'Ja, **Gutscheine** gibt es ab 10 €.',
      tags: ['gutschein'],
      lang: 'de',
    });
    expect(r.status).toBe(201);
    expect(r.body.entry).toMatchObject({ id: 'habt-ihr-gutscheine', file: 'shop.de.md' });
    const after = file('shop.de.md');
    expect(after.startsWith(before.trimEnd())).toBe(true);
    const parsed = parseFaq(after, { format: 'md', file: 'shop.de.md' });
    expect(parsed.errors).toEqual([]);
    expect(parsed.entries.find((e) => e.id === 'habt-ihr-gutscheine')).toMatchObject({
      variants: ['Kann ich einen Gutschein kaufen?', 'Geschenkgutschein'],
      answer: 'Ja, **Gutscheine** gibt es ab 10 €.',
      tags: ['gutschein'],
    });
    // The same question again gets its own id instead of overwriting.
    const again = await call(admin, 'POST', '/api/sites/demo/faq', { question: 'Habt ihr Gutscheine?', answer: 'Ja.', lang: 'de' });
    expect(again.body.entry).toMatchObject({ id: 'habt-ihr-gutscheine-2' });
  });

  it('edits a Markdown entry in place: only its own section changes', async () => {
    const before = file('shop.de.md');
    const r = await call(admin, 'PUT', '/api/sites/demo/faq/versandkosten', {
      question: 'Was kostet der Versand?',
      variants: ['Wie hoch sind die Versandkosten?', 'Porto'],
      answer: 'Ab 50 € versandkostenfrei, sonst 4,90 €.',
    });
    expect(r.status).toBe(200);
    const after = file('shop.de.md');
    const sectionOf = (text: string, id: string) => text.split(/\n(?=## )/).find((s) => s.includes(`id: ${id}\n`)) ?? '';
    expect(sectionOf(after, 'versandkosten')).toContain('- Porto');
    expect(sectionOf(after, 'versanddauer')).toBe(sectionOf(before, 'versanddauer'));
    expect(after.split('\n')[0]).toBe(before.split('\n')[0]);
    const entries = parseFaq(after, { format: 'md', file: 'shop.de.md' }).entries;
    expect(entries.map((e) => e.id)).toEqual(parseFaq(before, { format: 'md', file: 'shop.de.md' }).entries.map((e) => e.id));
    expect((await call(admin, 'PUT', '/api/sites/demo/faq/nope', { question: 'x', answer: 'y' })).status).toBe(404);
  });

  it('edits a YAML entry and keeps the file’s comments', async () => {
    const r = await call(admin, 'PUT', '/api/sites/demo/faq/gift-wrapping', {
      question: 'Do you offer gift wrapping?',
      variants: ['Gift box', 'Can you wrap it?'],
      answer: 'Yes, for €3.50.',
    });
    expect(r.status).toBe(200);
    const after = file('shop.en.yaml');
    expect(after).toContain('# The same format in YAML');
    const entry = parseFaq(after, { format: 'yaml', file: 'shop.en.yaml' }).entries.find((e) => e.id === 'gift-wrapping');
    expect(entry).toMatchObject({ variants: ['Gift box', 'Can you wrap it?'], answer: 'Yes, for €3.50.' });
  });

  it('refuses an answer that would not read back as written, and leaves the file alone', async () => {
    const before = file('shop.de.md');
    const r = await call(admin, 'PUT', '/api/sites/demo/faq/versanddauer', {
      question: 'Wie lange dauert der Versand?',
      answer: 'Kurz.\n## Eingeschmuggelte Frage\nAntwort',
    });
    expect(r.status).toBe(400);
    expect(file('shop.de.md')).toBe(before);
  });

  it('keeps every one of many concurrent additions', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(admin, 'POST', '/api/sites/demo/faq', { question: `Parallel question ${i}?`, answer: `Answer ${i}.`, lang: 'en' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    const list = (await call(admin, 'GET', '/api/sites/demo/faq')).body.entries as Entry[];
    for (let i = 0; i < 8; i++) expect(list.some((e) => e.question === `Parallel question ${i}?`)).toBe(true);
  });

  it('answers "what would the bot answer?" from the files as saved, without storing anything', async () => {
    const ask = async (text: string) =>
      (await call(agent, 'POST', '/api/sites/demo/bot/test', { text, lang: 'de' })).body.reply as {
        kind: string;
        faqId: string | null;
        confidence: number;
        question: string | null;
      };
    const known = await ask('Wann kommt mein Paket an?');
    expect(known).toMatchObject({ kind: 'answer', faqId: 'versanddauer', question: 'Wie lange dauert der Versand?' });
    expect(known.confidence).toBeGreaterThan(0.5);
    const conversations = await server.database.db.selectFrom('conversations').select('id').execute();
    expect(conversations).toHaveLength(0);
    // A phrasing added now is known at once (the test bot is rebuilt when a file changes).
    const odd = 'Quokka Zustellung Bergdorf';
    expect((await ask(odd)).faqId).not.toBe('versanddauer');
    const current = ((await call(admin, 'GET', '/api/sites/demo/faq')).body.entries as Entry[]).find((e) => e.id === 'versanddauer')!;
    await call(admin, 'PUT', '/api/sites/demo/faq/versanddauer', { ...current, variants: [...current.variants, odd] });
    expect(await ask(odd)).toMatchObject({ kind: 'answer', faqId: 'versanddauer' });
    expect((await call(agent, 'POST', '/api/sites/demo/bot/test', { text: '' })).status).toBe(400);
  });

  it('turns an unanswered question into a phrasing or a new entry in one step, and takes it off the list', async () => {
    const db = server.database.db;
    const now = Date.now();
    const row = (text: string) => ({
      site_key: 'demo',
      normalized: text.toLowerCase(),
      text,
      lang: 'de',
      count: 3,
      last_conversation_id: null,
      first_at: now,
      last_at: now,
    });
    await db
      .insertInto('unanswered_questions')
      .values([row('Liefert ihr auch nach Südtirol?'), row('Gibt es Ratenzahlung?'), row('asdf')])
      .execute();
    const list = async () =>
      ((await call(admin, 'GET', '/api/sites/demo/bot/unanswered')).body.questions as { text: string }[]).map((q) => q.text);
    expect(await list()).toHaveLength(3);

    expect((await call(agent, 'POST', '/api/sites/demo/bot/unanswered/handle', { action: 'dismiss', text: 'asdf' })).status).toBe(403);
    const phr = await call(admin, 'POST', '/api/sites/demo/bot/unanswered/handle', {
      action: 'phrasing',
      text: 'Liefert ihr auch nach Südtirol?',
      entryId: 'versanddauer',
    });
    expect(phr.status).toBe(200);
    expect((phr.body.entry as Entry).variants).toContain('Liefert ihr auch nach Südtirol?');

    const ent = await call(admin, 'POST', '/api/sites/demo/bot/unanswered/handle', {
      action: 'entry',
      text: 'Gibt es Ratenzahlung?',
      entry: { answer: 'Ja, mit Klarna ab 100 €.', lang: 'de' },
    });
    expect(ent.status).toBe(200);
    expect(ent.body.entry).toMatchObject({ question: 'Gibt es Ratenzahlung?', file: 'shop.de.md' });

    expect((await call(admin, 'POST', '/api/sites/demo/bot/unanswered/handle', { action: 'dismiss', text: 'asdf' })).status).toBe(200);
    expect(await list()).toEqual([]);
    expect((await call(admin, 'POST', '/api/sites/demo/bot/unanswered/handle', { action: 'dismiss', text: 'asdf' })).status).toBe(404);
    expect(parseFaq(file('shop.de.md'), { format: 'md', file: 'shop.de.md' }).errors).toEqual([]);
  });
});

describe('FAQ editor and the live bot', () => {
  it('an edit saved through the API is answered by the running bot (hot reload of the file)', async () => {
    // The server's own FAQ bots, watching DATA_DIR/faq/SITE (startServus accepts the factory).
    const live = await startTestServer({ bots: createFaqBots as unknown as BotResponder });
    try {
      const cookie = await login(live.url, TEST_ADMIN.email, TEST_ADMIN.password);
      const res = await fetch(`${live.url}/api/sites/demo/faq`, { headers: { cookie } });
      const entry = ((await res.json()) as { entries: Entry[] }).entries.find((e) => e.id === 'versanddauer')!;
      const odd = 'Quokka Zustellung Bergdorf';
      const put = await fetch(`${live.url}/api/sites/demo/faq/versanddauer`, {
        method: 'PUT',
        headers: { cookie, origin: live.url, 'content-type': 'application/json' },
        body: JSON.stringify({ ...entry, variants: [...entry.variants, odd] }),
      });
      expect(put.status).toBe(200);
      // The watcher reloads within its debounce; ask until the live bot knows the new phrasing.
      let answer = '';
      for (let attempt = 0; attempt < 20 && !answer.startsWith('Wir versenden'); attempt++) {
        const v = await newVisitor(live.url);
        v.client.send({ type: 'message.send', cid: 'q', text: odd });
        const bot = await v.client.next(
          (f) => f.type === 'message.created' && (f.message as { author: { type: string } }).author.type === 'bot',
        );
        answer = (bot.message as { text: string }).text;
        v.client.close();
        if (!answer.startsWith('Wir versenden')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toMatch(/^Wir versenden/);
    } finally {
      await live.close();
    }
  });

  it('a site with no FAQ file at start gets its first one from the editor, and the running bot answers from it', async () => {
    // Every (re)build of a site's bot is reported, so the test awaits the reload instead of polling.
    const loads: { site: string; entries: number }[] = [];
    const waiters: { test: (l: { site: string; entries: number }) => boolean; resolve: () => void }[] = [];
    const onLoad = (site: string, entries: number) => {
      loads.push({ site, entries });
      for (const w of [...waiters]) {
        if (!w.test({ site, entries })) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    };
    const loaded = (test: (l: { site: string; entries: number }) => boolean) =>
      new Promise<void>((resolve) => waiters.push({ test, resolve }));
    // The factory runs after seeding: removing the demo site's FAQ folder there starts the server
    // exactly like a site that never had a FAQ file.
    const bots = async (ctx: Parameters<typeof createFaqBots>[0]) => {
      rmSync(join(ctx.faqDir, 'demo'), { recursive: true, force: true });
      return createFaqBots({ ...ctx, onLoad });
    };
    const live = await startTestServer({ bots: bots as unknown as BotResponder });
    try {
      const dir = join(live.dataDir, 'faq', 'demo');
      const cookie = await login(live.url, TEST_ADMIN.email, TEST_ADMIN.password);
      /** What the running bot answers to a new visitor (null: no bot message at all). */
      const ask = async (text: string): Promise<string | null> => {
        const v = await newVisitor(live.url);
        try {
          v.client.send({ type: 'message.send', cid: 'q', text });
          const ack = await v.client.next((f) => f.type === 'ack' && f.cid === 'q');
          // The bot answers in the same transaction as the ack: the events show it (or its absence) now.
          const res = await fetch(`${live.url}/api/conversations/${ack.conversationId as string}/events?after=0`, { headers: { cookie } });
          const { events } = (await res.json()) as { events: { type: string; message?: { text: string; author: { type: string } } }[] };
          return events.find((e) => e.type === 'message.created' && e.message?.author.type === 'bot')?.message?.text ?? null;
        } finally {
          v.client.close();
        }
      };
      const question = 'Gibt es Gutscheine für Kletterkurse?';
      expect(await ask(question)).toBeNull();
      expect(loads).toEqual([]);

      // The first entry, from the console's editor: a new folder and file, and the bot has it.
      let reload = loaded((l) => l.site === 'demo' && l.entries === 1);
      const created = await fetch(`${live.url}/api/sites/demo/faq`, {
        method: 'POST',
        headers: { cookie, origin: live.url, 'content-type': 'application/json' },
        body: JSON.stringify({ question, variants: ['Kletterkurs verschenken'], answer: 'Ja, ab 30 € im Shop.', lang: 'de' }),
      });
      expect(created.status).toBe(201);
      expect(((await created.json()) as { entry: Entry }).entry.file).toBe('faq.de.md');
      await reload;
      expect(await ask(question)).toBe('Ja, ab 30 € im Shop.');

      // A second file copied in by hand joins the first.
      reload = loaded((l) => l.site === 'demo' && l.entries === 3);
      copyFileSync(fileURLToPath(new URL('../../../../examples/faq/shop.en.yaml', import.meta.url)), join(dir, 'shop.en.yaml'));
      await reload;
      expect(await ask('Do you offer gift wrapping?')).toMatch(/^Yes – tick/);
      expect(await ask(question)).toBe('Ja, ab 30 € im Shop.');

      // An editor that saves by writing a temporary file and renaming it over the original.
      reload = loaded((l) => l.site === 'demo' && l.entries === 3);
      writeFileSync(join(dir, 'faq.de.md.tmp'), readFileSync(join(dir, 'faq.de.md'), 'utf8').replace('ab 30 €', 'ab 25 €'));
      renameSync(join(dir, 'faq.de.md.tmp'), join(dir, 'faq.de.md'));
      await reload;
      expect(await ask(question)).toBe('Ja, ab 25 € im Shop.');

      // No FAQ file left: the bot stops answering for the site instead of using stale entries.
      reload = loaded((l) => l.site === 'demo' && l.entries === 0);
      unlinkSync(join(dir, 'faq.de.md'));
      unlinkSync(join(dir, 'shop.en.yaml'));
      await reload;
      expect(await ask(question)).toBeNull();
    } finally {
      await live.close();
    }
  });
});
