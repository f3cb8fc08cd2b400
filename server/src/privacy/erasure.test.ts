// A visitor's own erasure, confirmed by email, against a real server (SQLite and PostgreSQL) and a
// real SMTP inbox: the widget's request mails a single-use link (never the visitor's token); the
// page it opens erases nothing until its button is pressed; the confirmation erases everyone with
// that address and the visitor who asked, closes their socket, and is audited; requests are limited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { mailText, startSmtpInbox, type SmtpInbox } from '../testing/smtp-inbox.js';
import { findAnywhere } from '../testing/find-anywhere.js';
import { login, newVisitor } from '../testing/client.js';
import { TEST_ADMIN } from '../testing/server-process.js';

describe.each([false, true])('erasure confirmed by email (postgres: %s)', (postgres) => {
  let smtp: SmtpInbox;
  let server: TestServer & { pgSchema?: string };

  beforeAll(async () => {
    smtp = await startSmtpInbox();
    server = await startTestServer({
      postgres,
      overrides: {
        smtpUrl: smtp.url,
        mailFrom: 'Servus Shop <servus@shop.example>',
        autoAssign: false,
        erasureRequestsPerAddressDay: 2,
        erasureRequestsPerVisitorHour: 2,
        erasureRequestsPerSiteHour: 40,
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await smtp.close();
  });

  const request = (token: string, body: unknown = {}) =>
    fetch(`${server.url}/api/visitor/erasure`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-servus-site': 'demo', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const page = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual' });
  const confirm = (token: string) =>
    fetch(`${server.url}/privacy/erase`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ t: token }).toString(),
    });
  /** The link in the newest mail to an address. */
  async function linkTo(address: string, count: number): Promise<{ url: string; token: string; raw: string }> {
    const to = () => smtp.mails.filter((m) => m.to.includes(address));
    await smtp.next(() => to().length >= count);
    const raw = mailText(to()[count - 1]!.raw);
    const m = /(http:\/\/[^\s]+\/privacy\/erase\?t=([A-Za-z0-9_-]+))/.exec(raw);
    expect(m).not.toBeNull();
    return { url: m![1]!, token: m![2]!, raw };
  }
  /** A visitor who writes `text` (and gives `email` first, if any); connected. */
  async function visitorWho(text: string, email?: string) {
    const v = await newVisitor(server.url);
    if (email) {
      v.client.send({ type: 'visitor.profile', cid: 'p', email, name: `Name of ${email}` });
      await v.client.next((f) => f.cid === 'p');
    }
    v.client.send({ type: 'message.send', cid: 'm', text });
    const conversationId = (await v.client.next((f) => f.cid === 'm')).conversationId as string;
    return { ...v, conversationId };
  }

  it('mails a single-use link to the address on record; only the confirmation erases that person everywhere', async () => {
    const anna = await visitorWho('Wo ist mein Kranich 42?', 'anna.kranich@example.com');
    // The same person on another device, and someone else.
    const annaPhone = await visitorWho('Und der Reiher 7?', 'Anna.Kranich@example.com');
    annaPhone.client.close();
    const carl = await visitorWho('Storch 9 bitte', 'carl@example.com');
    carl.client.close();

    expect((await request(anna.token, { lang: 'de' })).status).toBe(202);
    const { url, token, raw } = await linkTo('anna.kranich@example.com', 1);
    expect(raw).toMatch(/^Subject: .*(L=C3=B6schung|Löschung)/m);
    expect(raw).not.toContain(anna.token);
    expect(raw).toMatch(/^Auto-Submitted: auto-generated/m);

    // Opening the link (a mail scanner does it too) erases nothing: it asks.
    for (let i = 0; i < 2; i++) {
      const shown = await page(url);
      expect(shown.status).toBe(200);
      expect(shown.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(shown.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await shown.text();
      expect(html).toContain('<html lang="de">');
      expect(html).toContain('2 Gespräche');
      expect(html).toContain('<form method="post">');
    }
    expect(await findAnywhere(server, ['Kranich 42', 'Reiher 7'])).not.toEqual([]);

    const done = await confirm(token);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('sind gelöscht');
    // Her open socket is closed, and nothing of her is left anywhere; Carl is intact.
    expect(await anna.client.closed).toEqual({ code: 4001, reason: 'ERASED' });
    expect(
      await findAnywhere(server, [
        'anna.kranich@example.com',
        'Name of anna',
        'Kranich 42',
        'Reiher 7',
        anna.visitorId,
        annaPhone.visitorId,
        anna.token,
        token,
      ]),
    ).toEqual([]);
    expect((await findAnywhere(server, ['carl@example.com', 'Storch 9'])).length).toBeGreaterThanOrEqual(2);

    // Single use: the link is spent.
    expect((await confirm(token)).status).toBe(404);
    expect((await page(url, { 'accept-language': 'en-GB,en' })).status).toBe(404);

    // Audited as the visitor's own request, by a keyed hash of the address only.
    const cookie = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const audit = (await (await fetch(`${server.url}/api/privacy/audit`, { headers: { cookie, origin: server.url } })).json()) as {
      entries: { action: string; actor: { type: string }; subject: string; address: string | null; detail: Record<string, unknown> }[];
    };
    const asked = audit.entries.find((e) => e.action === 'erasure.request')!;
    const erased = audit.entries.find((e) => e.action === 'person.erase-by-visitor')!;
    expect(asked).toMatchObject({ actor: { type: 'visitor' }, subject: expect.stringMatching(/^email#[0-9a-f]{32}$/) });
    expect(erased).toMatchObject({ actor: { type: 'visitor' }, address: null, subject: asked.subject });
    expect(erased.detail).toMatchObject({ visitors: 2, conversations: 2, confirmedBy: 'email' });
  });

  it('takes an address the visitor gives, and refuses without one, with a bad token or a bad address', async () => {
    const dora = await visitorWho('Elster 3 löschen, bitte');
    expect((await request(dora.token)).status).toBe(409);
    expect((await request('not-a-token-at-all-really')).status).toBe(401);
    expect((await request(dora.token, { email: 'not an address' })).status).toBe(400);
    expect((await request(dora.token, { email: 'dora@example.com', lang: 'en' })).status).toBe(202);
    const { url, token } = await linkTo('dora@example.com', 1);
    const html = await (await page(url)).text();
    expect(html).toContain('one conversation');
    expect((await confirm(token)).status).toBe(200);
    expect(await dora.client.closed).toEqual({ code: 4001, reason: 'ERASED' });
    expect(await findAnywhere(server, ['Elster 3', dora.visitorId, 'dora@example.com'])).toEqual([]);
  });

  it('erases nothing with an expired link', async () => {
    const ed = await visitorWho('Amsel 5', 'ed@example.com');
    expect((await request(ed.token)).status).toBe(202);
    const { url, token } = await linkTo('ed@example.com', 1);
    await server.database.db
      .updateTable('erasure_requests')
      .set({ expires_at: Date.now() - 1 })
      .where('email', '=', 'ed@example.com')
      .execute();
    expect((await page(url)).status).toBe(404);
    expect((await confirm(token)).status).toBe(404);
    expect(await findAnywhere(server, ['Amsel 5'])).not.toEqual([]);
    ed.client.close();
  });

  it('limits requests per address, per visitor and per site', async () => {
    const eve = await visitorWho('Meise 1');
    const fred = await visitorWho('Meise 2');
    // Per address (2 a day): a third request to eve@ is refused, from whichever visitor.
    expect((await request(eve.token, { email: 'eve@example.com' })).status).toBe(202);
    expect((await request(eve.token, { email: 'eve@example.com' })).status).toBe(202);
    expect((await request(fred.token, { email: 'eve@example.com' })).status).toBe(429);
    // Per visitor (2 an hour): eve asks for another address.
    expect((await request(eve.token, { email: 'eve.other@example.com' })).status).toBe(429);
    await linkTo('eve@example.com', 2);
    expect(smtp.mails.filter((m) => m.to.includes('eve@example.com'))).toHaveLength(2);
    expect(smtp.mails.filter((m) => m.to.includes('eve.other@example.com'))).toHaveLength(0);
    // Per site (40 an hour, counted in the database, so on every instance together).
    const { db } = server.database;
    const used = Number(
      (
        await db
          .selectFrom('erasure_requests')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('site_key', '=', 'demo')
          .executeTakeFirstOrThrow()
      ).n,
    );
    await db
      .insertInto('erasure_requests')
      .values(
        Array.from({ length: 40 - used }, (_, i) => ({
          token_hash: `filler-${i}`,
          site_key: 'demo',
          email: `filler${i}@example.com`,
          visitor_id: null,
          lang: 'de',
          expires_at: Date.now() + 3_600_000,
          created_at: Date.now(),
        })),
      )
      .execute();
    expect((await request(fred.token, { email: 'fred@example.com' })).status).toBe(429);
    expect(smtp.mails.filter((m) => m.to.includes('fred@example.com'))).toHaveLength(0);
    eve.client.close();
    fred.client.close();
  });
});
