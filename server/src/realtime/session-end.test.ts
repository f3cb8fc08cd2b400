// However an agent's session ends (logout, password change, removal, a change of role or sites,
// deactivation, expiry; REST or the command line; on this instance or another), its open sockets close within a second with 1008, and the old
// cookie opens nothing any more.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { connect, login, newAgent } from '../testing/client.js';
import { runCli } from '../cli.js';
import { hashToken } from '../core/ids.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0).reverse()) await s.close();
  delete process.env.DATA_DIR;
});

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer & { pgSchema?: string }> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

const rest = (base: string, cookie: string, method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', origin: base, cookie },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** Resolves with the close code and how long after `since` the socket closed. */
async function closedWithin(client: Awaited<ReturnType<typeof newAgent>>['client'], since: number) {
  const { code } = await client.closed;
  return { code, ms: performance.now() - since };
}

async function expectCookieRefused(base: string, cookie: string): Promise<void> {
  expect((await rest(base, cookie, 'GET', '/api/auth/me')).status).toBe(401);
  await expect(connect(`${base.replace(/^http/, 'ws')}/ws/agent`, { cookie, origin: base })).rejects.toMatchObject({ status: 401 });
}

describe.each([false, true])('the end of an agent session (postgres: %s)', (postgres) => {
  it('closes the socket at logout, and the cookie is refused afterwards', async () => {
    const server = await start({ postgres });
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const t = performance.now();
    expect((await rest(server.url, agent.cookie, 'POST', '/api/auth/logout')).status).toBe(200);
    const closed = await closedWithin(agent.client, t);
    expect(closed.code).toBe(1008);
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(server.url, agent.cookie);
  });

  it('closes the sockets of the other sessions at a password change and of every session at removal', async () => {
    const server = await start({ postgres });
    const admin = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const other = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const changed = await rest(server.url, admin.cookie, 'POST', '/api/auth/password', {
      current: TEST_ADMIN.password,
      next: 'another-password',
    });
    // The session ended when the answer came (a password hash may take a while on a busy machine).
    let t = performance.now();
    expect(changed.status).toBe(200);
    let closed = await closedWithin(other.client, t);
    expect(closed).toMatchObject({ code: 1008 });
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(server.url, other.cookie);
    expect(admin.client.ws.readyState).toBe(admin.client.ws.OPEN);

    const created = await rest(server.url, admin.cookie, 'POST', '/api/agents', {
      name: 'Bea',
      email: 'bea@example.com',
      password: 'bea-password',
    });
    const beaId = ((await created.json()) as { agent: { id: string } }).agent.id;
    const bea = await newAgent(server.url, 'bea@example.com', 'bea-password');
    expect((await rest(server.url, admin.cookie, 'DELETE', `/api/agents/${beaId}`)).status).toBe(200);
    t = performance.now();
    closed = await closedWithin(bea.client, t);
    expect(closed.code).toBe(1008);
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(server.url, bea.cookie);
  });

  it('closes every socket of an agent whose role or sites an admin changes, or whom an admin deactivates', async () => {
    const server = await start({ postgres });
    const admin = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    await rest(server.url, admin.cookie, 'POST', '/api/sites', { key: 'second', name: 'Second' });
    const created = await rest(server.url, admin.cookie, 'POST', '/api/agents', {
      name: 'Dana',
      email: 'dana@example.com',
      password: 'dana-password',
      role: 'admin',
    });
    const danaId = ((await created.json()) as { agent: { id: string } }).agent.id;
    const edit = (body: unknown) => rest(server.url, admin.cookie, 'PATCH', `/api/agents/${danaId}`, body);
    for (const change of [{ role: 'agent' }, { siteKeys: ['demo'] }, { active: false }]) {
      if (change.active === false) expect((await edit({ active: true })).status).toBe(200);
      const laptop = await newAgent(server.url, 'dana@example.com', 'dana-password');
      const phone = await newAgent(server.url, 'dana@example.com', 'dana-password');
      const t = performance.now();
      expect((await edit(change)).status).toBe(200);
      for (const socket of [laptop, phone]) {
        const closed = await closedWithin(socket.client, t);
        expect(closed.code).toBe(1008);
        expect(closed.ms).toBeLessThan(1000);
        await expectCookieRefused(server.url, socket.cookie);
      }
    }
    // Deactivated: no login; the admin's own socket stayed.
    expect((await rest(server.url, '', 'POST', '/api/auth/login', { email: 'dana@example.com', password: 'dana-password' })).status).toBe(
      401,
    );
    expect(admin.client.ws.readyState).toBe(admin.client.ws.OPEN);
    // A new name or capacity does not end anything.
    expect((await edit({ active: true })).status).toBe(200);
    const dana = await newAgent(server.url, 'dana@example.com', 'dana-password');
    const renamed = (await (await edit({ name: 'Dana Berger', capacity: 5 })).json()) as {
      agent: { name: string; capacity: number; role: string; siteKeys: string[] };
    };
    expect(renamed.agent).toMatchObject({ name: 'Dana Berger', capacity: 5, role: 'agent', siteKeys: ['demo'] });
    expect((await rest(server.url, dana.cookie, 'GET', '/api/auth/me')).status).toBe(200);
    expect(dana.client.ws.readyState).toBe(dana.client.ws.OPEN);
    // Admins cannot lock themselves out.
    const self = await rest(server.url, admin.cookie, 'PATCH', `/api/agents/${admin.agentId}`, { role: 'agent' });
    expect(self.status).toBe(409);
  });

  it('closes the socket of a session that expired', async () => {
    const server = await start({ postgres });
    const agent = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const token = decodeURIComponent(agent.cookie.split('=')[1]!);
    const t = performance.now();
    // What the passing of SESSION_TTL_HOURS does to the row.
    await server.database.db
      .updateTable('sessions')
      .set({ expires_at: Date.now() - 1 })
      .where('token_hash', '=', hashToken(token))
      .execute();
    const closed = await closedWithin(agent.client, t);
    expect(closed.code).toBe(1008);
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(server.url, agent.cookie);
  });
});

describe('sessions ended outside the process that holds the socket', () => {
  it('closes the socket when the command line resets the password or removes the agent', async () => {
    const server = await start();
    process.env.DATA_DIR = server.dataDir;
    const admin = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    await rest(server.url, admin.cookie, 'POST', '/api/agents', { name: 'Cem', email: 'cem@example.com', password: 'cem-password' });
    const cem = await newAgent(server.url, 'cem@example.com', 'cem-password');
    expect(await runCli(['agent', 'password', '--email', 'cem@example.com', '--password', 'new-cem-password'], () => {})).toBe(0);
    let t = performance.now();
    let closed = await closedWithin(cem.client, t);
    expect(closed.code).toBe(1008);
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(server.url, cem.cookie);

    const again = await newAgent(server.url, 'cem@example.com', 'new-cem-password');
    expect(await runCli(['agent', 'remove', '--email', 'cem@example.com'], () => {})).toBe(0);
    t = performance.now();
    closed = await closedWithin(again.client, t);
    expect(closed.code).toBe(1008);
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(server.url, again.cookie);
  });

  it('closes the socket when the command line changes the role or sites or deactivates the agent', async () => {
    const server = await start();
    process.env.DATA_DIR = server.dataDir;
    const admin = await newAgent(server.url, TEST_ADMIN.email, TEST_ADMIN.password);
    await rest(server.url, admin.cookie, 'POST', '/api/agents', { name: 'Eva', email: 'eva@example.com', password: 'eva-password' });
    for (const args of [['--role', 'admin'], ['--sites', ''], ['--deactivate']]) {
      if (args[0] === '--deactivate')
        expect(await runCli(['agent', 'edit', '--email', 'eva@example.com', '--sites', 'demo'], () => {})).toBe(0);
      const eva = await newAgent(server.url, 'eva@example.com', 'eva-password');
      const t = performance.now();
      const lines: string[] = [];
      expect(await runCli(['agent', 'edit', '--email', 'eva@example.com', ...args], (l) => lines.push(l))).toBe(0);
      expect(lines.join()).toContain('all sessions ended');
      const closed = await closedWithin(eva.client, t);
      expect(closed.code).toBe(1008);
      expect(closed.ms).toBeLessThan(1000);
      await expectCookieRefused(server.url, eva.cookie);
    }
    expect((await rest(server.url, '', 'POST', '/api/auth/login', { email: 'eva@example.com', password: 'eva-password' })).status).toBe(
      401,
    );
  });

  it('closes the socket on one instance when an admin changes the agent’s role through another', async () => {
    const one = await start({ postgres: true });
    const two = await start({ postgres: true, pgSchema: one.pgSchema!, overrides: { seedDemo: false } });
    const admin = await login(one.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const created = await rest(one.url, admin, 'POST', '/api/agents', {
      name: 'Finn',
      email: 'finn@example.com',
      password: 'finn-password',
    });
    const finnId = ((await created.json()) as { agent: { id: string } }).agent.id;
    const finn = await newAgent(two.url, 'finn@example.com', 'finn-password');
    const t = performance.now();
    expect((await rest(one.url, admin, 'PATCH', `/api/agents/${finnId}`, { role: 'admin' })).status).toBe(200);
    const closed = await closedWithin(finn.client, t);
    expect(closed.code).toBe(1008);
    expect(closed.ms).toBeLessThan(1000);
    await expectCookieRefused(two.url, finn.cookie);
  });

  it('closes the socket on one instance when the agent logs out through another', async () => {
    const one = await start({ postgres: true });
    const two = await start({ postgres: true, pgSchema: one.pgSchema!, overrides: { seedDemo: false } });
    const cookie = await login(one.url, TEST_ADMIN.email, TEST_ADMIN.password);
    const onTwo = await connect(`${two.url.replace(/^http/, 'ws')}/ws/agent`, { cookie, origin: two.url });
    onTwo.send({ type: 'agent.hello' });
    await onTwo.next((f) => f.type === 'welcome');
    const t = performance.now();
    expect((await rest(one.url, cookie, 'POST', '/api/auth/logout')).status).toBe(200);
    const { code } = await onTwo.closed;
    expect(code).toBe(1008);
    expect(performance.now() - t).toBeLessThan(1000);
    await expectCookieRefused(two.url, cookie);
  });
});
