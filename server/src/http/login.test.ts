// Logging in over HTTP: throttling slows an attacker without locking the owner out (the old
// lockout let anyone lock any account, the admin included, with five wrong passwords), and behind
// a trusted proxy the forwarded scheme and host decide the origin check and the Secure cookie.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/in-process.js';
import { TEST_ADMIN } from '../testing/server-process.js';
import { connect } from '../testing/client.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function attempt(
  from: string,
  password: string,
  { email = TEST_ADMIN.email, headers = {} }: { email?: string; headers?: Record<string, string> } = {},
) {
  return fetch(`${server!.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server!.url, 'x-forwarded-for': from, ...headers },
    body: JSON.stringify({ email, password }),
  });
}

describe.each([false, true])('login throttling over HTTP (postgres: %s)', (postgres) => {
  it('slows a brute force from one address after five failures, without refusing the owner elsewhere', async () => {
    server = await startTestServer({ postgres, overrides: { trustProxy: true } });
    for (let i = 0; i < 5; i++) expect((await attempt('203.0.113.9', 'wrong-password')).status).toBe(401);
    const sixth = await attempt('203.0.113.9', 'wrong-password');
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('retry-after')).toBe('1');
    expect(((await sixth.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many failed logins; try again in 1 s.',
    });
    // The right password from the attacking address waits like any other guess there...
    expect((await attempt('203.0.113.9', TEST_ADMIN.password)).status).toBe(429);
    // ...and from the owner's own address it simply works.
    expect((await attempt('198.51.100.20', TEST_ADMIN.password)).status).toBe(200);
  });

  it('lets the owner in from an address they used before while a distributed attack locks the account for others', async () => {
    server = await startTestServer({ postgres, overrides: { trustProxy: true, loginFailuresPerAccount: 20 } });
    expect((await attempt('198.51.100.20', TEST_ADMIN.password)).status).toBe(200);
    const attacks = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(`10.0.${i}.1`, 'guess')));
    expect(attacks.map((r) => r.status)).toEqual(Array(20).fill(401));
    expect((await attempt('10.0.99.1', 'guess')).status).toBe(429);
    expect((await attempt('10.0.99.2', TEST_ADMIN.password)).status).toBe(429);
    expect((await attempt('198.51.100.20', TEST_ADMIN.password)).status).toBe(200);
  });

  it('caps a password spray from one address across accounts', async () => {
    server = await startTestServer({ postgres, overrides: { trustProxy: true, loginFailuresPerAddress: 10 } });
    for (let i = 0; i < 10; i++) expect((await attempt('203.0.113.50', 'guess', { email: `user${i}@example.com` })).status).toBe(401);
    expect((await attempt('203.0.113.50', TEST_ADMIN.password)).status).toBe(429);
    expect((await attempt('203.0.113.51', TEST_ADMIN.password)).status).toBe(200);
  });
});

describe('behind a trusted proxy that terminates TLS', () => {
  it('takes the forwarded scheme and host for the origin check and sets a Secure cookie', async () => {
    server = await startTestServer({ overrides: { trustProxy: true } });
    const headers = { origin: 'https://chat.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.com' };
    const res = await attempt('198.51.100.1', TEST_ADMIN.password, { headers });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; HttpOnly/i);
    // The same forwarded origin passes the agent socket's Origin check too.
    const ws = await connect(`${server.url.replace(/^http/, 'ws')}/ws/agent`, {
      cookie: cookie.split(';')[0]!,
      origin: 'https://chat.example.com',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.com' },
    });
    ws.close();
  });

  it('ignores forwarded headers when the proxy is not trusted', async () => {
    server = await startTestServer({ overrides: { trustProxy: false } });
    const res = await attempt('198.51.100.1', TEST_ADMIN.password, {
      headers: { origin: 'https://chat.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.com' },
    });
    expect(res.status).toBe(403);
  });
});
