// A page whose origin a site does not allow is told so plainly (ORIGIN_NOT_ALLOWED on the widget's
// config, before any socket), and the server logs it once per site and origin an hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { connect } from '../testing/client.js';
import { createLogger } from '../core/logger.js';
import { createOriginRefusals, type Site } from '../sites/sites.js';

const logged: { site?: string; origin?: string; where?: string; msg: string }[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    logger: createLogger('warn', { write: (line) => void logged.push(JSON.parse(line) as (typeof logged)[number]) }),
  });
  await server.database.db
    .updateTable('sites')
    .set({ settings: sql<string>`${JSON.stringify({ allowedOrigins: ['https://shop.example'] })}` })
    .where('key', '=', 'demo')
    .execute();
  // Read at start (the retention planner): the cached copy goes, as after a change through the API.
  server.invalidateSite('demo');
});
afterAll(() => server.close());

const config = (origin?: string) => fetch(`${server.url}/api/widget/config?site=demo`, { headers: origin ? { origin } : {} });

describe('a page origin the site does not allow', () => {
  it('gets ORIGIN_NOT_ALLOWED from the widget config, naming the origin and the setting; allowed and same-origin pages get the config', async () => {
    const refused = await config('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('vary')).toMatch(/Origin/);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ORIGIN_NOT_ALLOWED');
    expect(body.error.message).toContain('https://evil.example');
    expect(body.error.message).toContain('Allowed origins');
    expect((await config('https://shop.example')).status).toBe(200);
    expect((await config()).status).toBe(200);
  });

  it('is refused at the socket with the same code', async () => {
    const url = `${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`;
    await expect(connect(url, { origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 });
    const ok = await connect(url, { origin: 'https://shop.example' });
    ok.close();
  });

  it('is logged once per site and origin, however often it comes back', async () => {
    for (let i = 0; i < 3; i++) await config('https://other.example');
    const url = `${server.url.replace(/^http/, 'ws')}/ws/visitor?site=demo`;
    await expect(connect(url, { origin: 'https://other.example' })).rejects.toMatchObject({ status: 403 });
    const lines = (origin: string) => logged.filter((l) => l.origin === origin);
    expect(lines('https://other.example')).toHaveLength(1);
    expect(lines('https://other.example')[0]).toMatchObject({ site: 'demo', where: 'widget config' });
    expect(lines('https://other.example')[0]!.msg).toContain('Allowed origins');
    expect(lines('https://evil.example')).toHaveLength(1);
  });
});

describe('createOriginRefusals', () => {
  it('logs a site and origin again once an hour has passed', () => {
    let t = 0;
    const lines: string[] = [];
    const refused = createOriginRefusals(createLogger('warn', { write: (line) => void lines.push(line) }), { now: () => t });
    const site = { key: 'demo', name: 'Demo', secret: 'x', settings: {} } as Site;
    refused(site, 'https://a.example', 'socket');
    t += 3_599_999;
    refused(site, 'https://a.example', 'socket');
    refused(site, 'https://b.example', 'socket');
    t += 1;
    refused(site, 'https://a.example', 'widget config');
    expect(lines.map((l) => (JSON.parse(l) as { origin: string }).origin)).toEqual([
      'https://a.example',
      'https://b.example',
      'https://a.example',
    ]);
  });
});
