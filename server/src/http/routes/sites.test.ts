// The sites API against a real server on both dialects: the agent's sites, reading and patching a
// site's settings (validation, null removes, proactive rules untouched, the widget sees changes at
// once), creating sites, and who may do what.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../testing/in-process.js';
import { login } from '../../testing/client.js';
import { TEST_ADMIN } from '../../testing/server-process.js';
import { DEMO_PROACTIVE_RULE } from '../../app/seed.js';

interface SiteView {
  key: string;
  name: string;
  settings: Record<string, unknown>;
  secret?: string;
}
interface ErrorBody {
  error: { code: string; message: string; path?: string };
}

describe.each(['sqlite', 'postgres'] as const)('site settings API on %s', (dialect) => {
  let server: TestServer;
  let admin: string;
  let agent: string;
  beforeAll(async () => {
    // A larger app-wide request limit, so that the 64 KB limit of these routes is what a big body meets.
    server = await startTestServer({ postgres: dialect === 'postgres', overrides: { autoAssign: false, maxRequestBytes: 1024 * 1024 } });
    admin = await login(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await api('/api/agents', {
      method: 'POST',
      body: { name: 'Eva', email: 'eva@example.com', password: 'eva-password-1' },
    });
    expect(created.status).toBe(201);
    agent = await login(server.url, 'eva@example.com', 'eva-password-1');
  });
  afterAll(() => server.close());

  const api = (path: string, init: { method?: string; body?: unknown; raw?: string; cookie?: string; origin?: string } = {}) =>
    fetch(server.url + path, {
      method: init.method ?? 'GET',
      headers: {
        cookie: init.cookie ?? admin,
        origin: init.origin ?? server.url,
        ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  const patch = (key: string, body: unknown, cookie?: string) =>
    api(`/api/sites/${key}/settings`, { method: 'PATCH', body, ...(cookie ? { cookie } : {}) });
  const settingsOf = async (key: string, cookie?: string) =>
    ((await (await api(`/api/sites/${key}/settings`, cookie ? { cookie } : {})).json()) as { site: SiteView }).site;
  const stored = async (key: string) => {
    const row = await server.database.db.selectFrom('sites').selectAll().where('key', '=', key).executeTakeFirstOrThrow();
    return { ...row, settings: JSON.parse(row.settings) as Record<string, unknown> };
  };
  const widgetConfig = async (key: string) =>
    (
      (await (await fetch(`${server.url}/api/widget/config?site=${key}`)).json()) as {
        site: { color: string; greeting: { de: string; en: string }; name: string; proactive: unknown[] };
      }
    ).site;
  /** Sends a bad PATCH and returns the error's code, path and status; the stored site must not change. */
  const rejected = async (body: unknown, init: { raw?: string } = {}) => {
    const before = await stored('demo');
    const res =
      init.raw !== undefined ? await api('/api/sites/demo/settings', { method: 'PATCH', raw: init.raw }) : await patch('demo', body);
    const err = ((await res.json()) as ErrorBody).error;
    expect(await stored('demo')).toEqual(before);
    return { status: res.status, code: err.code, path: err.path, message: err.message };
  };

  it('lists the agent’s sites and shows a site’s settings without the proactive rules; only admins see the secret', async () => {
    expect(await (await api('/api/sites')).json()).toEqual({ sites: [{ key: 'demo', name: 'Servus Shop' }] });
    expect(await (await api('/api/sites', { cookie: agent })).json()).toEqual({ sites: [{ key: 'demo', name: 'Servus Shop' }] });
    const row = await stored('demo');
    const { proactive, ...rest } = row.settings;
    expect(proactive).toEqual([DEMO_PROACTIVE_RULE]);
    const asAdmin = await settingsOf('demo');
    expect(asAdmin).toEqual({ key: 'demo', name: 'Servus Shop', settings: rest, secret: row.secret, offlineReply: 'chat' });
    expect(asAdmin.settings).not.toHaveProperty('proactive');
    expect(asAdmin.settings).toMatchObject({ color: '#0f766e', defaultLang: 'de', serviceLevel: { firstResponseSeconds: 60 } });
    const asAgent = await settingsOf('demo', agent);
    expect(asAgent).toEqual({ key: 'demo', name: 'Servus Shop', settings: rest, offlineReply: 'chat' });
    expect(asAgent).not.toHaveProperty('secret');
    // Without a session: nothing.
    expect((await fetch(`${server.url}/api/sites`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/sites/demo/settings`)).status).toBe(401);
  });

  it('lets admins patch fields: given ones replace, null removes, others and the proactive rules stay; the widget sees it at once', async () => {
    // Fill the 5 s site cache first: the PATCH must invalidate it.
    const widgetBefore = await widgetConfig('demo');
    expect(widgetBefore.color).toBe('#0f766e');
    const before = await stored('demo');
    const hours = {
      timeZone: 'Europe/Vienna',
      weekly: { mon: ['09:00-12:00', '13:00-17:30'], fri: ['09:00-15:00'] },
      holidays: ['2026-12-24'],
    };
    const res = await patch('demo', {
      name: '  Servus Laden  ',
      settings: {
        color: '#aa3366',
        greeting: { de: ' Grüß Gott! ', en: 'Hello there!' },
        allowedOrigins: ['https://shop.example', 'http://localhost:8080'],
        preChatForm: { enabled: true, fields: ['email', 'name'] },
        notifyEmails: ['team@example.com'],
        businessHours: hours,
        botAvatarUrl: 'https://cdn.example/bot.png',
        ratings: null,
      },
    });
    expect(res.status).toBe(200);
    const view = ((await res.json()) as { site: SiteView }).site;
    const after = await stored('demo');
    const { ratings: _ratings, ...kept } = before.settings;
    expect(after.settings).toEqual({
      ...kept,
      color: '#aa3366',
      greeting: { de: 'Grüß Gott!', en: 'Hello there!' },
      allowedOrigins: ['https://shop.example', 'http://localhost:8080'],
      preChatForm: { enabled: true, fields: ['email', 'name'] },
      notifyEmails: ['team@example.com'],
      businessHours: hours,
      botAvatarUrl: 'https://cdn.example/bot.png',
    });
    expect(after.settings).not.toHaveProperty('ratings');
    expect(after.settings.proactive).toEqual([DEMO_PROACTIVE_RULE]);
    expect(after.name).toBe('Servus Laden');
    expect(after.secret).toBe(before.secret);
    const { proactive: _p, ...shown } = after.settings;
    expect(view).toEqual({ key: 'demo', name: 'Servus Laden', settings: shown, secret: before.secret, offlineReply: 'chat' });
    expect(await settingsOf('demo')).toEqual(view);

    const widget = await widgetConfig('demo');
    expect(widget.color).toBe('#aa3366');
    expect(widget.greeting).toEqual({ de: 'Grüß Gott!', en: 'Hello there!' });
    expect(widget.name).toBe('Servus Laden');
    expect(widget.proactive).toEqual([DEMO_PROACTIVE_RULE]);
    expect((widget as unknown as { ratings: unknown }).ratings).toEqual({ nps: false, ces: false }); // the default again

    // The proactive endpoint still has its rules, and a PATCH of one field leaves all the others.
    expect(await (await api('/api/sites/demo/proactive')).json()).toEqual({ rules: [DEMO_PROACTIVE_RULE] });
    expect((await patch('demo', { settings: { greeting: null, allowedOrigins: null } })).status).toBe(200);
    const { greeting: _g, allowedOrigins: _o, ...rest } = after.settings;
    expect((await stored('demo')).settings).toEqual(rest);
    expect((await widgetConfig('demo')).greeting).toEqual({ de: 'Hallo! Wie können wir helfen?', en: 'Hi! How can we help?' });
    // An empty PATCH changes nothing.
    const unchanged = await stored('demo');
    expect((await patch('demo', {})).status).toBe(200);
    expect(await stored('demo')).toEqual(unchanged);
  });

  it('rejects invalid settings with the field’s path and stores nothing', async () => {
    expect(await rejected({ settings: { color: 'red' } })).toMatchObject({ status: 400, code: 'BAD_FRAME', path: 'settings.color' });
    expect(await rejected({ settings: { color: '#12345' } })).toMatchObject({ path: 'settings.color' });
    expect(await rejected({ settings: { colour: '#123456' } })).toMatchObject({
      status: 400,
      path: 'settings.colour',
      message: 'settings.colour: unknown field',
    });
    expect(await rejected({ secret: 'mine' })).toMatchObject({ status: 400, path: 'secret' });
    // The rules have their own endpoint.
    expect(await rejected({ settings: { proactive: [] } })).toMatchObject({ status: 400, path: 'settings.proactive' });
    expect(await rejected({ settings: { title: { de: 'Shop', fr: 'Boutique' } } })).toMatchObject({ path: 'settings.title.fr' });
    expect(await rejected({ settings: { greeting: { en: 'x'.repeat(281) } } })).toMatchObject({ path: 'settings.greeting.en' });
    expect(await rejected({ settings: { title: { de: '   ' } } })).toMatchObject({ path: 'settings.title.de' });
    expect(await rejected({ settings: { allowedOrigins: ['https://shop.example/shop'] } })).toMatchObject({
      status: 400,
      path: 'settings.allowedOrigins.0',
    });
    expect(await rejected({ settings: { allowedOrigins: ['https://ok.example', 'https://shop.example/a?b'] } })).toMatchObject({
      path: 'settings.allowedOrigins.1',
    });
    expect(await rejected({ settings: { allowedOrigins: ['https://user@shop.example'] } })).toMatchObject({
      path: 'settings.allowedOrigins.0',
    });
    expect(await rejected({ settings: { allowedOrigins: ['ftp://shop.example'] } })).toMatchObject({ path: 'settings.allowedOrigins.0' });
    expect(await rejected({ settings: { allowedOrigins: Array.from({ length: 51 }, (_, i) => `https://s${i}.example`) } })).toMatchObject({
      path: 'settings.allowedOrigins',
    });
    expect(await rejected({ settings: { businessHours: { timeZone: 'Europe/Vienna', weekly: { mon: ['17:00-09:00'] } } } })).toMatchObject({
      status: 400,
      path: 'settings.businessHours.weekly.mon',
    });
    expect(await rejected({ settings: { businessHours: { timeZone: 'Mars/Olympus', weekly: {} } } })).toMatchObject({
      path: 'settings.businessHours.timeZone',
    });
    expect(await rejected({ settings: { businessHours: { timeZone: 'UTC', weekly: { monday: ['09:00-17:00'] } } } })).toMatchObject({
      path: 'settings.businessHours.weekly.monday',
    });
    expect(await rejected({ settings: { businessHours: { timeZone: 'UTC', weekly: {}, holidays: ['24.12.2026'] } } })).toMatchObject({
      path: 'settings.businessHours.holidays',
    });
    expect(
      await rejected({ settings: { businessHours: { timeZone: 'UTC', weekly: { tue: Array.from({ length: 7 }, () => '09:00-10:00') } } } }),
    ).toMatchObject({ path: 'settings.businessHours.weekly.tue' });
    // An operator object where a string belongs.
    expect(await rejected({ settings: { botName: { $ne: null } } })).toMatchObject({ status: 400, path: 'settings.botName' });
    expect(await rejected({ name: { $ne: null } })).toMatchObject({ status: 400, path: 'name' });
    expect(await rejected({ name: ' ' })).toMatchObject({ path: 'name' });
    expect(await rejected({ settings: { botAvatarUrl: 'http://cdn.example/bot.png' } })).toMatchObject({ path: 'settings.botAvatarUrl' });
    expect(await rejected({ settings: { agentAvatarUrl: 'javascript:alert(1)' } })).toMatchObject({ path: 'settings.agentAvatarUrl' });
    expect(await rejected({ settings: { preChatForm: { enabled: true, fields: ['email', 'email'] } } })).toMatchObject({
      path: 'settings.preChatForm.fields',
    });
    expect(await rejected({ settings: { preChatForm: { enabled: true, fields: ['phone'] } } })).toMatchObject({
      path: 'settings.preChatForm.fields.0',
    });
    expect(await rejected({ settings: { ratings: { nps: true } } })).toMatchObject({ path: 'settings.ratings.ces' });
    expect(await rejected({ settings: { notifyEmails: ['not-an-email'] } })).toMatchObject({ path: 'settings.notifyEmails.0' });
    expect(await rejected({ settings: { serviceLevel: { firstResponseSeconds: 4 } } })).toMatchObject({
      path: 'settings.serviceLevel.firstResponseSeconds',
    });
    expect(await rejected({ settings: { serviceLevel: { firstResponseSeconds: 60.5 } } })).toMatchObject({
      path: 'settings.serviceLevel.firstResponseSeconds',
    });
    expect(await rejected({ settings: { position: 'top' } })).toMatchObject({ path: 'settings.position' });
    expect(await rejected({ settings: { defaultLang: 'fr' } })).toMatchObject({ path: 'settings.defaultLang' });
    expect(await rejected({ settings: 'color=red' })).toMatchObject({ path: 'settings' });
    expect(await rejected(null, { raw: '{"settings":' })).toMatchObject({ status: 400, code: 'BAD_JSON' });
    // 70 KB: more than these routes take (the server-wide limit is 1 MB in this test).
    expect(await rejected({ settings: { botName: 'x'.repeat(70 * 1024) } })).toMatchObject({ status: 413, code: 'TOO_LARGE' });
  });

  it('normalises an allowed origin pasted with a trailing slash or capitals, and the page of that origin gets the config', async () => {
    const res = await patch('demo', { settings: { allowedOrigins: ['https://Shop.example/', ' http://localhost:8080/ '] } });
    expect(res.status).toBe(200);
    expect((await stored('demo')).settings.allowedOrigins).toEqual(['https://shop.example', 'http://localhost:8080']);
    const config = await fetch(`${server.url}/api/widget/config?site=demo`, { headers: { origin: 'https://shop.example' } });
    expect(config.status).toBe(200);
    expect((await patch('demo', { settings: { allowedOrigins: null } })).status).toBe(200);
  });

  it('stores the launcher’s offsets per device and serves them in the widget config; refuses offsets out of range', async () => {
    expect(((await widgetConfig('demo')) as unknown as { launcherOffset: unknown }).launcherOffset).toEqual({});
    const offset = { x: 24, y: 72, mobileY: 88 };
    expect((await patch('demo', { settings: { launcherOffset: offset } })).status).toBe(200);
    expect((await stored('demo')).settings.launcherOffset).toEqual(offset);
    expect(((await widgetConfig('demo')) as unknown as { launcherOffset: unknown }).launcherOffset).toEqual(offset);
    for (const bad of [{ y: 401 }, { x: -1 }, { mobileX: 12.5 }, { y: '80' }, { top: 10 }])
      expect(await rejected({ settings: { launcherOffset: bad } })).toMatchObject({ status: 400, code: 'BAD_FRAME' });
    expect(await rejected({ settings: { launcherOffset: { y: 401 } } })).toMatchObject({ path: 'settings.launcherOffset.y' });
    expect(await rejected({ settings: { launcherOffset: { top: 10 } } })).toMatchObject({ path: 'settings.launcherOffset.top' });
    expect((await patch('demo', { settings: { launcherOffset: null } })).status).toBe(200);
    expect((await stored('demo')).settings).not.toHaveProperty('launcherOffset');
  });

  it('keeps every change when admins save different fields at the same moment', async () => {
    const fields = ['botName', 'color', 'position', 'defaultLang'] as const;
    const values = { botName: 'Parallel Bot', color: '#123456', position: 'left', defaultLang: 'en' } as const;
    const answers = await Promise.all(fields.map((f) => patch('demo', { settings: { [f]: values[f] } })));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await stored('demo')).settings).toMatchObject(values);
  });

  it('lets only admins change sites, hides sites of other teams behind the same 404, and refuses cross-site writes', async () => {
    const res = await patch('demo', { settings: { color: '#000000' } }, agent);
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error.code).toBe('FORBIDDEN');
    const post = await api('/api/sites', { method: 'POST', body: { key: 'eva-site', name: 'Eva' }, cookie: agent });
    expect(post.status).toBe(403);
    expect(await server.database.db.selectFrom('sites').select('key').where('key', '=', 'eva-site').executeTakeFirst()).toBeUndefined();

    // A site Eva does not belong to answers exactly like one that does not exist.
    expect((await api('/api/sites', { method: 'POST', body: { key: 'other-team', name: 'Other team' } })).status).toBe(201);
    const missing = await api('/api/sites/no-such-site/settings', { cookie: agent });
    const foreign = await api('/api/sites/other-team/settings', { cookie: agent });
    expect(missing.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual(await missing.json());
    expect(await (await api('/api/sites', { cookie: agent })).json()).toEqual({ sites: [{ key: 'demo', name: 'Servus Laden' }] });
    const adminMissing = await api('/api/sites/no-such-site/settings', { method: 'PATCH', body: { settings: {} } });
    expect(adminMissing.status).toBe(404);

    // Cross-origin writes with the admin's cookie are refused and change nothing.
    const before = await stored('demo');
    const evil = await api('/api/sites/demo/settings', {
      method: 'PATCH',
      body: { settings: { color: '#000000' } },
      origin: 'http://evil.example',
    });
    expect(evil.status).toBe(403);
    expect(((await evil.json()) as ErrorBody).error.message).toMatch(/Cross-site/);
    const evilPost = await api('/api/sites', { method: 'POST', body: { key: 'evil-site', name: 'Evil' }, origin: 'http://evil.example' });
    expect(evilPost.status).toBe(403);
    expect(await stored('demo')).toEqual(before);
    expect(await server.database.db.selectFrom('sites').select('key').where('key', '=', 'evil-site').executeTakeFirst()).toBeUndefined();
  });

  it('creates sites for every admin, with a secret and empty settings, and refuses taken or malformed keys', async () => {
    const second = await api('/api/agents', {
      method: 'POST',
      body: { name: 'Zoe', email: 'zoe@example.com', role: 'admin', password: 'zoe-password-1' },
    });
    expect(second.status).toBe(201);
    const zoe = await login(server.url, 'zoe@example.com', 'zoe-password-1');
    // Widgets asked for the key before it existed: that "unknown site" must not stay cached.
    expect((await fetch(`${server.url}/api/widget/config?site=alpine-shop`)).status).toBe(404);

    const res = await api('/api/sites', { method: 'POST', body: { key: 'alpine-shop', name: ' Alpen Shop ' } });
    expect(res.status).toBe(201);
    const { site } = (await res.json()) as { site: SiteView };
    expect(site).toEqual({
      key: 'alpine-shop',
      name: 'Alpen Shop',
      settings: {},
      secret: expect.any(String) as string,
      offlineReply: 'chat',
    });
    expect(site.secret!.length).toBeGreaterThanOrEqual(40);
    const row = await stored('alpine-shop');
    expect(row).toMatchObject({ name: 'Alpen Shop', secret: site.secret, settings: {} });
    const members = await server.database.db.selectFrom('agent_sites').select('agent_id').where('site_key', '=', 'alpine-shop').execute();
    const admins = await server.database.db.selectFrom('agents').select('id').where('role', '=', 'admin').execute();
    expect(members.map((m) => m.agent_id).sort()).toEqual(admins.map((a) => a.id).sort());
    expect(admins).toHaveLength(2);

    // Both admins see it on their next request (site lists are read per request), ordered by name; Eva does not.
    for (const cookie of [admin, zoe])
      expect(await (await api('/api/sites', { cookie })).json()).toEqual({
        sites: [
          { key: 'alpine-shop', name: 'Alpen Shop' },
          { key: 'other-team', name: 'Other team' },
          { key: 'demo', name: 'Servus Laden' },
        ],
      });
    expect(await settingsOf('alpine-shop', zoe)).toEqual(site);
    expect((await api('/api/sites/alpine-shop/settings', { cookie: agent })).status).toBe(404);
    expect((await widgetConfig('alpine-shop')).color).toBe('#0f766e');
    expect((await patch('alpine-shop', { settings: { color: '#123abc' } }, zoe)).status).toBe(200);
    expect((await widgetConfig('alpine-shop')).color).toBe('#123abc');

    const taken = await api('/api/sites', { method: 'POST', body: { key: 'alpine-shop', name: 'Again' } });
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as ErrorBody).error).toMatchObject({ code: 'CONFLICT', path: 'key' });
    expect((await stored('alpine-shop')).name).toBe('Alpen Shop');
    expect((await api('/api/sites', { method: 'POST', body: { key: 'demo', name: 'Demo 2' } })).status).toBe(409);
    for (const key of ['Alpine', '-shop', 'a', 'a_b', 'x'.repeat(64), 'shop/../demo']) {
      const bad = await api('/api/sites', { method: 'POST', body: { key, name: 'Bad' } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as ErrorBody).error.path).toBe('key');
    }
    const noName = await api('/api/sites', { method: 'POST', body: { key: 'no-name' } });
    expect(((await noName.json()) as ErrorBody).error.path).toBe('name');
    const extra = await api('/api/sites', { method: 'POST', body: { key: 'extra', name: 'Extra', settings: {} } });
    expect(((await extra.json()) as ErrorBody).error.path).toBe('settings');
  });
});
