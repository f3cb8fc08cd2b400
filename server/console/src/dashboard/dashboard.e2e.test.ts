// `<servus-dashboard>` in real Chromium against a real server filled by `npm run seed:demo`: the
// element is built with Vite on its own and served on a tiny page of the server's origin under the
// console's CSP; logged in as the test admin, every figure it shows must equal the REST answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../../src/testing/in-process.js';
import { TEST_ADMIN } from '../../../src/testing/server-process.js';
import { seedDemo } from '../../../src/seed-demo.js';
import type { Grouping, MetricsReport } from './data.js';
import { launchChromium } from '../../../src/testing/browser.js';
import { axeViolations } from '../../e2e/page.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The console's CSP (server/src/http/app.ts), so an inline script or a blocked style would show here. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

let dir: string;
let server: TestServer;
let browser: Browser;
let page: Page;
let bundle: string;
const problems: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'servus-dashboard-'));
  // 30 days of demo conversations, written the way `npm run seed:demo` writes them, with the test admin.
  const env = { DATA_DIR: dir, ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password };
  Object.assign(process.env, env);
  try {
    await seedDemo({ days: 30, perDay: 12, log: () => {} });
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
  }
  const out = join(dir, 'bundle');
  await build({
    configFile: false,
    logLevel: 'silent',
    root: here,
    // As the console build does: production Lit and query-core (library mode leaves process.env alone).
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    // No `development` export condition (vitest runs with NODE_ENV=test): Lit's production build.
    resolve: { conditions: ['module', 'browser', 'production'] },
    build: {
      outDir: out,
      emptyOutDir: true,
      target: 'es2022',
      minify: true,
      lib: { entry: join(here, 'index.ts'), formats: ['es'], fileName: () => 'dashboard.js' },
    },
  });
  bundle = readFileSync(join(out, 'dashboard.js'), 'utf8');
  [server, browser] = await Promise.all([startTestServer({ overrides: { dataDir: dir, autoAssign: false } }), launchChromium()]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'en-GB', timezoneId: 'Europe/Vienna' });
  // The test page and the bundle are answered by the test, on the server's origin: every /api call is the real server's.
  await context.route(`${server.url}/dashboard-test`, (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      headers: { 'content-security-policy': CSP },
      body: '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dashboard</title><script type="module" src="/dashboard-test.js"></script></head><body style="margin:0;background:#f6f7f9"><servus-dashboard></servus-dashboard></body></html>',
    }),
  );
  await context.route(`${server.url}/dashboard-test.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: bundle }));
  const login = await context.request.post(`${server.url}/api/auth/login`, {
    headers: { origin: server.url },
    data: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
  });
  expect(login.status()).toBe(200);
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the element shows loaded figures; on a timeout, says what it showed and what the page logged. */
async function ready(): Promise<void> {
  try {
    await page.waitForSelector('servus-dashboard[data-state="ready"]', { state: 'attached', timeout: 20_000 });
  } catch (err) {
    const state = await page.evaluate(() => {
      const el = document.querySelector('servus-dashboard');
      return `${el?.getAttribute('data-state')}: ${el?.shadowRoot?.textContent?.replace(/\s+/g, ' ').slice(0, 300)}`;
    });
    throw new Error(`dashboard not ready (${state}); page problems: ${JSON.stringify(problems)}`, { cause: err });
  }
}

interface Rest {
  /** The ungrouped answer: summary, distributions, proactive. */
  all: MetricsReport;
  /** One request per grouping (the element asks for all five in one). */
  by: Record<Grouping, MetricsReport['groups']>;
  csvUrl: string;
}

/** The REST answers for the period and site the element is showing, read from its CSV link. */
async function restFor(): Promise<Rest> {
  const csvUrl = (await page.locator('servus-dashboard a.export').getAttribute('href'))!;
  const q = new URL(csvUrl, server.url).searchParams;
  q.delete('format');
  const get = async (groupBy: string | null) => {
    if (groupBy) q.set('groupBy', groupBy);
    else q.delete('groupBy');
    const url = `/api/metrics?${q.toString()}`;
    return page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin' })).json(), url) as Promise<MetricsReport>;
  };
  const by = {} as Rest['by'];
  for (const g of ['day', 'hour', 'agent', 'lang', 'site'] as const) by[g] = (await get(g)).groups;
  return { all: await get(null), by, csvUrl };
}

const kpiValue = async (id: string) => page.locator(`servus-dashboard [data-kpi="${id}"]`).getAttribute('data-value');
const kpiText = async (id: string) => page.locator(`servus-dashboard [data-kpi="${id}"] .value`).textContent();
const num = (v: number | null) => (v === null ? '' : String(v));

async function expectFiguresEqualRest(): Promise<Rest> {
  const rest = await restFor();
  const s = rest.all.summary;
  const expected: Record<string, number | null> = {
    conversations: s.conversations,
    'frt-human': s.firstHumanResponseSeconds.median,
    'frt-any': s.firstResponseSeconds.median,
    wait: s.waitSeconds.median,
    handling: s.handlingSeconds.median,
    sla: s.serviceLevel?.share ?? null,
    resolution: s.resolutionRate,
    fcr: s.firstContactResolution,
    containment: s.botContainment,
    'handoff-rate': s.handoffRate,
    csat: s.csat.average,
    nps: s.nps.score,
    ces: s.ces.average,
  };
  const shown: Record<string, string | null> = {};
  for (const id of Object.keys(expected)) shown[id] = await kpiValue(id);
  expect(shown).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, num(v)])));

  // Per day: the chart's table has every day of the period; days the REST answer has agree with it, the others are 0.
  const dayRows = await page
    .locator('servus-dashboard [data-chart="per-day"] servus-dashboard-chart [data-chart-table] tbody tr')
    .allTextContents();
  const perDay = await page
    .locator('servus-dashboard [data-chart="per-day"] servus-dashboard-chart [data-chart-table] tbody tr')
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  expect(perDay.length).toBe(dayRows.length);
  const restDays = new Map(rest.by.day.map((g) => [g.key, g.summary]));
  for (const [day, conversations, handoffs, resolved] of perDay) {
    const g = restDays.get(day!);
    expect([Number(conversations), Number(handoffs), Number(resolved)]).toEqual([
      g?.conversations ?? 0,
      g?.handoffs ?? 0,
      g?.resolved ?? 0,
    ]);
  }
  expect(perDay.reduce((sum, r) => sum + Number(r[1]), 0)).toBe(s.conversations);
  // By hour of day.
  const perHour = await page
    .locator('servus-dashboard [data-chart="by-hour"] servus-dashboard-chart [data-chart-table] tbody tr')
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  const restHours = new Map(rest.by.hour.map((g) => [g.key, g.summary.conversations]));
  expect(perHour.map(([h, n]) => [h, Number(n)])).toEqual(
    Array.from({ length: 24 }, (_, h) => [String(h).padStart(2, '0'), restHours.get(String(h).padStart(2, '0')) ?? 0]),
  );
  // Distributions: histograms and CSAT bars are the REST counts.
  const column = (chart: string) =>
    page
      .locator(`servus-dashboard [data-chart="${chart}"] servus-dashboard-chart [data-chart-table] tbody tr`)
      .evaluateAll((rows) => rows.map((r) => Number(r.querySelectorAll('td')[1]?.textContent)));
  expect(await column('frt-histogram')).toEqual(rest.all.distributions.firstHumanResponseSeconds.counts);
  expect(await column('wait-histogram')).toEqual(rest.all.distributions.waitSeconds.counts);
  expect(await column('csat')).toEqual(rest.all.distributions.csat);
  const reasons = await page
    .locator('servus-dashboard [data-chart="handoff-reasons"] li')
    .evaluateAll((lis) => Object.fromEntries(lis.map((li) => [li.getAttribute('data-reason'), Number(li.getAttribute('data-count'))])));
  expect(reasons).toEqual(s.handoffReasons);
  // Agents: the REST agent groups (without the unassigned ones), by name.
  const agents = await page
    .locator('servus-dashboard [data-table="agents"] tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [
        r.getAttribute('data-agent'),
        r.querySelector('th')?.textContent,
        Number(r.querySelector('[data-field=conversations]')?.textContent),
      ]),
    );
  expect(agents.sort()).toEqual(
    rest.by.agent
      .filter((g) => g.key !== 'none')
      .map((g) => [g.key, g.label, g.summary.conversations])
      .sort(),
  );
  // Proactive rules.
  const rules = await page
    .locator('servus-dashboard [data-table="proactive"] tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => ['shown', 'opened', 'conversations'].map((f) => Number(r.querySelector(`[data-field=${f}]`)?.textContent))),
    );
  expect(rules).toEqual(rest.all.proactive.map((p) => [p.shown, p.opened, p.conversations]));
  // By language, and by site when all sites are shown.
  const breakdown = (id: string) =>
    page
      .locator(`servus-dashboard [data-table="${id}"] tbody tr`)
      .evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute('data-key'), Number(r.querySelector('[data-field=conversations]')?.textContent)]),
      );
  const restRows = (groups: MetricsReport['groups']) => groups.map((g) => [g.key, g.summary.conversations]).sort();
  expect((await breakdown('lang')).sort()).toEqual(restRows(rest.by.lang));
  const siteFilter = new URL(rest.csvUrl, server.url).searchParams.get('site');
  if (siteFilter) expect(await page.locator('servus-dashboard [data-table="site"]').count()).toBe(0);
  else expect((await breakdown('site')).sort()).toEqual(restRows(rest.by.site));
  return rest;
}

describe('<servus-dashboard> on seeded demo data', () => {
  it('shows KPIs, charts, agents and proactive rules equal to GET /api/metrics (last 30 days)', async () => {
    const t0 = Date.now();
    await page.goto(`${server.url}/dashboard-test`);
    await ready();
    const loadMs = Date.now() - t0;
    const rest = await expectFiguresEqualRest();
    const s = rest.all.summary;
    // A living dashboard: the demo data gives every card a value.
    expect(s.conversations).toBeGreaterThan(200);
    for (const id of ['frt-human', 'wait', 'handling', 'sla', 'fcr', 'containment', 'csat', 'nps']) expect(await kpiValue(id)).not.toBe('');
    expect(rest.all.proactive[0]!.shown).toBeGreaterThan(0);
    // What a reader sees, formatted.
    expect(await kpiText('conversations')).toBe(String(s.conversations));
    expect(await kpiText('csat')).toBe(s.csat.average!.toFixed(1));
    // Every uPlot chart drew a canvas of its column's width.
    const canvases = await page
      .locator('servus-dashboard servus-dashboard-chart')
      .evaluateAll((charts) => charts.map((c) => c.shadowRoot?.querySelector('canvas')?.getBoundingClientRect().width ?? 0));
    expect(canvases).toHaveLength(6);
    for (const w of canvases) expect(w).toBeGreaterThan(250);
    // The CSV export is the REST endpoint's CSV of the same period.
    const csv = await page.evaluate(async (u) => {
      const res = await fetch(u, { credentials: 'same-origin' });
      return { type: res.headers.get('content-type'), text: await res.text() };
    }, rest.csvUrl);
    expect(csv.type).toMatch(/^text\/csv/);
    expect(csv.text.split('\n')[1]).toMatch(new RegExp(`^"all",${s.conversations},`));
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    const apiMs = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/api/metrics'))
        .slice(0, 1)
        .map((e) => `${Math.round(e.startTime)}+${Math.round(e.duration)}`),
    );
    console.log(
      `dashboard: ${s.conversations} conversations; first render with data ${loadMs} ms (its one GET /api/metrics started+took ${apiMs.join(', ')} ms); bundle ${(bundle.length / 1024).toFixed(1)} KiB, ${(gzipSync(bundle).length / 1024).toFixed(1)} KiB gzip`,
    );
  });

  it('follows the period presets, a custom period and the site filter', async () => {
    await page.locator('servus-dashboard button[data-preset="7"]').click();
    await ready();
    await expect
      .poll(async () =>
        new URL((await page.locator('servus-dashboard a.export').getAttribute('href'))!, server.url).searchParams.get('from'),
      )
      .not.toBeNull();
    const week = await expectFiguresEqualRest();
    expect(week.all.to - week.all.from).toBeGreaterThanOrEqual(7 * 86_400_000 - 3_600_000); // 7 local days (± a DST hour)
    expect(await page.locator('servus-dashboard [data-chart="per-day"] [data-chart-table] tbody tr').count()).toBe(7);
    const thirty = await (async () => {
      await page.locator('servus-dashboard button[data-preset="30"]').click();
      await ready();
      return restFor();
    })();
    expect(week.all.summary.conversations).toBeLessThan(thirty.all.summary.conversations);

    await page.locator('servus-dashboard button[data-preset="custom"]').click();
    const from = page.locator('servus-dashboard input[name="from"]');
    const to = page.locator('servus-dashboard input[name="to"]');
    // Ten days ending five days ago.
    const day = (offset: number) => {
      const d = new Date(Date.now() + offset * 86_400_000);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    await from.fill(day(-14));
    await to.fill(day(-5));
    await expect.poll(() => page.locator('servus-dashboard [data-chart="per-day"] [data-chart-table] tbody tr').count()).toBe(10);
    await ready();
    const custom = await expectFiguresEqualRest();
    expect(custom.all.summary.conversations).toBeGreaterThan(0);

    await page.locator('servus-dashboard select[name="site"]').selectOption('demo');
    await ready();
    await expect
      .poll(async () =>
        new URL((await page.locator('servus-dashboard a.export').getAttribute('href'))!, server.url).searchParams.get('site'),
      )
      .toBe('demo');
    await expectFiguresEqualRest();
  });

  it('speaks German when the page does, and loads without CSP or script errors', async () => {
    await page.evaluate(() => (document.documentElement.lang = 'de'));
    await expect.poll(() => page.locator('servus-dashboard h1').textContent()).toBe('Servicestandards');
    expect(await page.locator('servus-dashboard a.export').textContent()).toBe('CSV exportieren');
    expect(await page.locator('servus-dashboard [data-kpi="wait"] dt').textContent()).toBe('Wartezeit');
    if (process.env.DASHBOARD_SCREENSHOT) {
      // A narrow window as well: the layout reflows to one column.
      await page.setViewportSize({ width: 720, height: 1000 });
      await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT.replace(/\.png$/, '-de-narrow.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 1000 });
    }
    await page.evaluate(() => document.querySelector('servus-dashboard')!.setAttribute('lang', 'en'));
    await expect.poll(() => page.locator('servus-dashboard h1').textContent()).toBe('Service standards');
    expect(problems).toEqual([]);
    expect(statSync(dir).isDirectory()).toBe(true);
  });

  it('passes axe-core’s WCAG 2.1 AA checks', async () => {
    const violations = await axeViolations(page, [['servus-dashboard']]);
    expect(violations).toEqual([]);
  });
});
