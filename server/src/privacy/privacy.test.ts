// Access and erasure against a real server on SQLite and PostgreSQL: a person is found by email,
// visitor id and conversation; the export holds every event of their conversations; after erasure
// no table holds their email, name, texts or visitor id, everyone else's data is intact, the
// metrics still count the conversation, and each step is in the audit log. Retention with a clock
// the test moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { findAnywhere } from '../testing/find-anywhere.js';
import { login, newAgent, newVisitor, type TestClient } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { createJobs } from '../jobs/jobs.js';
import { createSiteDirectory } from '../sites/sites.js';
import { createAuditLog } from './audit.js';
import { createPrivacy } from './privacy.js';
import { AUDIT_RETENTION_KEY, createRetention, RETENTION_JOB } from './retention.js';

describe.each([false, true])('privacy (postgres: %s)', (postgres) => {
  let server: TestServer & { pgSchema?: string };
  let cookie: string;
  const api = (path: string, init: { method?: string; body?: unknown; cookie?: string } = {}) =>
    fetch(server.url + path, {
      method: init.method ?? 'GET',
      headers: {
        cookie: init.cookie ?? cookie,
        origin: server.url,
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });

  beforeAll(async () => {
    server = await startTestServer({ postgres, overrides: { autoAssign: false } });
    cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
  });
  afterAll(() => server.close());

  /** A visitor who writes, leaves an email, is answered by an agent with a note and a label, and rates. */
  async function conversationOf(name: string, email: string, texts: string[]) {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'visitor.profile', cid: 'p', name, email });
    await v.client.next((f) => f.cid === 'p');
    v.client.send({ type: 'message.send', cid: 'm0', text: texts[0] });
    const conversationId = (await v.client.next((f) => f.cid === 'm0')).conversationId as string;
    v.client.send({ type: 'handoff.request', cid: 'h' });
    await v.client.next((f) => f.cid === 'h');
    const tag = name.replace(/\W/g, '');
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    agent.client.send({ type: 'conversation.claim', cid: `c-${tag}`, conversationId });
    await agent.client.next((f) => f.cid === `c-${tag}`);
    agent.client.send({ type: 'message.send', cid: `a-${tag}`, conversationId, text: `Hallo ${name}, gern!` });
    await agent.client.next((f) => f.cid === `a-${tag}`);
    agent.client.send({ type: 'note.add', cid: `n-${tag}`, conversationId, text: `Note about ${name}` });
    await agent.client.next((f) => f.cid === `n-${tag}`);
    for (const [i, text] of texts.slice(1).entries()) {
      v.client.send({ type: 'message.send', cid: `m${i + 1}`, conversationId, text });
      await v.client.next((f) => f.cid === `m${i + 1}`);
    }
    await api(`/api/conversations/${conversationId}/labels`, { method: 'PUT', body: { labels: ['vip'] } });
    agent.client.send({ type: 'conversation.resolve', cid: `r-${tag}`, conversationId });
    await agent.client.next((f) => f.cid === `r-${tag}`);
    v.client.send({ type: 'conversation.rate', cid: 'rate', conversationId, csat: 5, comment: `Super, ${name}` });
    await v.client.next((f) => f.cid === 'rate');
    agent.client.close();
    return { ...v, conversationId };
  }

  it('finds, exports completely and erases one person, leaving everyone else intact and audited', async () => {
    const anna = await conversationOf('Anna Quokka', 'anna.quokka@example.com', [
      'Wo bleibt Paket Zebrafink 4711?',
      'Meine Adresse ist Hauptstraße 7',
    ]);
    const ben = await conversationOf('Ben Other', 'ben@example.com', ['Rückgabe Kolibri 99', 'Danke Ben']);
    // Anna also sent a file.
    const uploaded = await fetch(
      `${server.url}/api/visitor/attachments?cid=f1&name=Quokka-Rechnung.txt&conversationId=${anna.conversationId}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${anna.token}`, 'x-servus-site': 'demo' },
        body: 'Rechnung Zebrafink 4711\n'.repeat(50),
      },
    );
    expect(uploaded.status).toBe(201);
    (anna.client as TestClient).close();
    (ben.client as TestClient).close();
    const metricsBefore = (await (await api('/api/metrics')).json()) as { summary: { conversations: number; handoffs: number } };

    // Found three ways, the same person.
    for (const q of [`email=ANNA.QUOKKA@example.com`, `visitorId=${anna.visitorId}`, `conversationId=${anna.conversationId}`]) {
      const found = (await (await api(`/api/privacy/person?${q}`)).json()) as {
        person: { visitors: { id: string }[]; conversations: { id: string }[] };
      };
      expect(found.person.visitors.map((v) => v.id)).toEqual([anna.visitorId]);
      expect(found.person.conversations.map((c) => c.id)).toEqual([anna.conversationId]);
    }
    expect((await api('/api/privacy/person?email=a@b.example&visitorId=x1234')).status).toBe(400);
    expect((await api('/api/privacy/person?email=nobody@example.com')).status).toBe(200);

    // The export: every event of the conversation, notes marked, labels, rating, context.
    const res = await api(`/api/privacy/export?email=anna.quokka@example.com`);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="servus-export-/);
    const doc = (await res.json()) as {
      format: string;
      visitors: { id: string; email: string; name: string; context: { lang: string } }[];
      conversations: {
        id: string;
        labels: string[];
        attachments: { name: string }[];
        events: { seq: number; kind: string; internalNote: boolean; text: string }[];
      }[];
    };
    expect(doc.format).toBe('servus.person-export/1');
    expect(doc.visitors).toMatchObject([
      { id: anna.visitorId, email: 'anna.quokka@example.com', name: 'Anna Quokka', context: { lang: 'en' } },
    ]);
    const stored = await server.database.db
      .selectFrom('events')
      .select('seq')
      .where('conversation_id', '=', anna.conversationId)
      .orderBy('seq')
      .execute();
    const exported = doc.conversations[0]!;
    expect(exported.events.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect(exported.labels).toEqual(['vip']);
    expect(exported.attachments.map((a) => a.name)).toEqual(['Quokka-Rechnung.txt']);
    expect(exported.events.find((e) => e.kind === 'note')).toMatchObject({ internalNote: true, text: 'Note about Anna Quokka' });
    expect(exported.events.map((e) => e.text)).toEqual(
      expect.arrayContaining(['Wo bleibt Paket Zebrafink 4711?', 'Hallo Anna Quokka, gern!']),
    );
    expect(exported.events.find((e) => e.kind === 'rating')).toBeDefined();

    // Erasure needs confirming, then leaves nothing of Anna anywhere.
    expect((await api('/api/privacy/erase', { method: 'POST', body: { email: 'anna.quokka@example.com' } })).status).toBe(400);
    const erased = await api('/api/privacy/erase', { method: 'POST', body: { email: 'anna.quokka@example.com', confirm: true } });
    expect(erased.status).toBe(200);
    expect(((await erased.json()) as { erased: { visitors: number; conversations: number } }).erased).toMatchObject({
      visitors: 1,
      conversations: 1,
    });
    const annaNeedles = [
      'anna.quokka@example.com',
      'Anna Quokka',
      'Zebrafink 4711',
      'Hauptstraße 7',
      'Quokka-Rechnung',
      anna.visitorId,
      anna.token,
    ];
    expect(await findAnywhere(server, annaNeedles)).toEqual([]);
    // Ben is untouched.
    expect((await findAnywhere(server, ['ben@example.com', 'Ben Other', 'Kolibri 99'])).length).toBeGreaterThanOrEqual(3);
    const benDetail = await (await api(`/api/conversations/${ben.conversationId}`)).json();
    expect(JSON.stringify(benDetail)).toContain('ben@example.com');
    const benEvents = await (await api(`/api/conversations/${ben.conversationId}/events`)).json();
    expect(JSON.stringify(benEvents)).toContain('Rückgabe Kolibri 99');
    expect((await api(`/api/privacy/person?email=anna.quokka@example.com`).then((r) => r.json())) as unknown).toEqual({
      person: { visitors: [], conversations: [] },
    });
    // Anna's old token opens nothing any more: a new visitor starts.
    const again = await newVisitor(server.url);
    expect(again.visitorId).not.toBe(anna.visitorId);
    again.client.close();
    // The metrics still count her conversation, anonymously.
    const metricsAfter = (await (await api('/api/metrics')).json()) as { summary: { conversations: number; handoffs: number } };
    expect(metricsAfter.summary.conversations).toBe(metricsBefore.summary.conversations);
    expect(metricsAfter.summary.handoffs).toBe(metricsBefore.summary.handoffs);

    // The audit log: who looked, exported and erased; never the address itself.
    const audit = (await (await api('/api/privacy/audit')).json()) as {
      entries: { action: string; actor: { name: string }; address: string; subject: string }[];
    };
    const actions = audit.entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['person.view', 'person.export', 'person.erase', 'conversation.view']));
    const erase = audit.entries.find((e) => e.action === 'person.erase')!;
    expect(erase.actor.name).toBe(TEST_ADMIN.email);
    expect(erase.address).toBe('127.0.0.0');
    expect(erase.subject).toMatch(/^email#[0-9a-f]{32}$/);
  });

  it('is for admins only, within their sites', async () => {
    const created = await api('/api/agents', {
      method: 'POST',
      body: { name: 'Plain Agent', email: `plain-${postgres}@example.com`, password: 'password123' },
    });
    expect(created.status).toBe(201);
    const plain = await login(server.url, `plain-${postgres}@example.com`, 'password123');
    expect((await api('/api/privacy/person?email=ben@example.com', { cookie: plain })).status).toBe(403);
    expect((await api('/api/privacy/audit', { cookie: plain })).status).toBe(403);
    expect((await api('/api/privacy/person?email=ben@example.com&site=elsewhere')).status).toBe(404);
    const audit = (await (await api('/api/privacy/audit?limit=5')).json()) as { entries: { action: string }[] };
    expect(audit.entries.map((e) => e.action)).toContain('agent.create');
  });

  it('lets a visitor delete their own conversation with their token, and nobody else', async () => {
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'own', text: 'Bitte löschen Sie Kakadu 55' });
    const id = (await v.client.next((f) => f.cid === 'own')).conversationId as string;
    v.client.close();
    const other = await newVisitor(server.url);
    other.client.close();
    const del = (token: string) =>
      fetch(`${server.url}/api/visitor/conversations/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}`, 'x-servus-site': 'demo' },
      });
    expect((await del(other.token)).status).toBe(404);
    expect((await del('not-a-token-at-all-really')).status).toBe(401);
    expect((await del(v.token)).status).toBe(200);
    expect(await findAnywhere(server, ['Kakadu 55', v.visitorId])).toEqual([]);
    const audit = (await (await api('/api/privacy/audit?action=conversation.erase-by-visitor')).json()) as {
      entries: { subject: string }[];
    };
    expect(audit.entries.map((e) => e.subject)).toContain(`conversation:${id}`);
  });

  it('erases conversations older than the retention period in a durable job, and logs the run', async () => {
    // 3000 days ahead with a period of 3650 days: the server's own job loop (on the real clock)
    // never finds these passes due, and nothing is old enough yet.
    let clock = Date.now() + 3000 * 86_400_000;
    const now = () => clock;
    const { db } = server.database;
    const v = await newVisitor(server.url);
    v.client.send({ type: 'message.send', cid: 'old', text: 'Eine alte Frage Wombat 123' });
    const oldId = (await v.client.next((f) => f.cid === 'old')).conversationId as string;
    v.client.close();
    const sites = createSiteDirectory(db);
    await sites.update('demo', (row) => ({ name: row.name, settings: { ...row.settings, privacy: { retentionDays: 3650 } } }));
    const jobs = createJobs({ db, now });
    const audit = createAuditLog({ db, now });
    const retention = createRetention({ jobs, sites, privacy: createPrivacy({ db, now }), audit, now });
    await db.deleteFrom('jobs').where('kind', '=', RETENTION_JOB).execute();
    await retention.ensure('demo');
    // Due now, but nothing is old enough yet.
    expect(await jobs.runDue()).toBe(1);
    expect(await findAnywhere(server, ['Wombat 123'])).not.toEqual([]);
    const status = await retention.status('demo');
    expect(status).toMatchObject({ retentionDays: 3650, lastRun: { conversations: 0 }, nextRunAt: clock + 86_400_000 });
    // 651 days later the next pass erases it (and the others of these tests), and plans the one after.
    clock += 651 * 86_400_000;
    expect(await jobs.runDue()).toBe(1);
    expect(await findAnywhere(server, ['Wombat 123', 'Kolibri 99', 'ben@example.com'])).toEqual([]);
    const after = await retention.status('demo');
    expect(after.lastRun!.conversations).toBeGreaterThanOrEqual(2);
    expect(after.nextRunAt).toBe(clock + 86_400_000);
    expect(await db.selectFrom('conversations').select('id').where('id', '=', oldId).executeTakeFirst()).toBeDefined();
    // Switched off: the pending pass runs, finds no period, and plans no other.
    await sites.update('demo', (row) => ({ name: row.name, settings: { ...row.settings, privacy: {} } }));
    clock += 86_400_000;
    expect(await jobs.runDue()).toBe(1);
    expect(await jobs.find(RETENTION_JOB, 'demo')).toBeUndefined();
  });

  it('deletes audit entries older than the audit log’s own period and expired erasure requests in the durable job, and logs the pass', async () => {
    let clock = Date.now() + 5000 * 86_400_000;
    const now = () => clock;
    const { db } = server.database;
    const jobs = createJobs({ db, now });
    const audit = createAuditLog({ db, now });
    const retention = createRetention({
      jobs,
      sites: createSiteDirectory(db),
      privacy: createPrivacy({ db, now }),
      audit,
      now,
      auditDays: 30,
    });
    await db.deleteFrom('jobs').where('kind', '=', RETENTION_JOB).execute();
    // Entries from 40, 31 and 29 days ago (on the test's clock).
    for (const [days, action] of [
      [40, 'test.old'],
      [31, 'test.older-than-period'],
      [29, 'test.within-period'],
    ] as const) {
      await db
        .insertInto('audit_log')
        .values({
          id: `au_test_${days}_${postgres}`,
          at: clock - days * 86_400_000,
          actor_type: 'system',
          actor_id: null,
          actor_name: null,
          address: null,
          action,
          site_key: null,
          subject: null,
          detail: '{}',
        })
        .execute();
    }
    await retention.ensureAudit();
    expect(await jobs.find(RETENTION_JOB, AUDIT_RETENTION_KEY)).toBeDefined();
    expect(await jobs.runDue()).toBe(1);
    const left = (await db.selectFrom('audit_log').select('action').where('action', 'like', 'test.%').execute()).map((r) => r.action);
    expect(left).toEqual(['test.within-period']);
    // (The clock is 5000 days ahead: the entries these tests wrote went too.) The pass is logged, with its count.
    const [entry] = await audit.list({ action: 'audit.retention', limit: 1 });
    expect(entry).toMatchObject({ actor: { type: 'system' }, detail: { days: 30 } });
    expect(Number(entry!.detail.deleted)).toBeGreaterThanOrEqual(2);
    // The next pass is planned a day later; with no period (0) the pending pass plans no other.
    expect((await jobs.find(RETENTION_JOB, AUDIT_RETENTION_KEY))!.run_at).toBe(clock + 86_400_000);
    clock += 86_400_000;
    // A restart with AUDIT_RETENTION_DAYS=0 (its handler replaces the one above): five days on, the
    // pass keeps every audit entry, still removes an erasure request a day past its expiry (it
    // holds an address), and plans the next pass.
    createRetention({ jobs, sites: createSiteDirectory(db), privacy: createPrivacy({ db, now }), audit, now, auditDays: 0 });
    clock += 5 * 86_400_000;
    await db
      .insertInto('erasure_requests')
      .values([
        {
          token_hash: `expired-${postgres}`,
          site_key: 'demo',
          email: 'lange.her@example.com',
          visitor_id: null,
          lang: 'de',
          expires_at: clock - 86_400_001,
          created_at: clock - 2 * 86_400_000,
        },
        {
          token_hash: `recent-${postgres}`,
          site_key: 'demo',
          email: 'gerade.eben@example.com',
          visitor_id: null,
          lang: 'de',
          expires_at: clock - 1000,
          created_at: clock - 86_400_000,
        },
      ])
      .execute();
    expect(await jobs.runDue()).toBe(1);
    expect((await db.selectFrom('audit_log').select('action').where('action', 'like', 'test.%').execute()).map((r) => r.action)).toEqual([
      'test.within-period',
    ]);
    expect(
      (
        await db
          .selectFrom('erasure_requests')
          .select('email')
          .where('token_hash', 'like', '%-' + String(postgres))
          .execute()
      ).map((r) => r.email),
    ).toEqual(['gerade.eben@example.com']);
    expect((await jobs.find(RETENTION_JOB, AUDIT_RETENTION_KEY))!.run_at).toBe(clock + 86_400_000);
  });
});
