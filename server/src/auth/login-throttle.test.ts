// Login throttling on real SQLite and PostgreSQL with a clock the test moves: a brute force from
// one address slows down exponentially, a spray from one address is capped, a distributed attack on
// one account cannot lock its owner out, and parallel guesses cannot slip past one check.
import { describe, expect, it } from 'vitest';
import { closeDatabasesAfterEach, openTestDatabase } from '../testing/databases.js';
import { addressKey, createLoginThrottle, DEFAULT_LOGIN_LIMITS, type LoginThrottle } from './login-throttle.js';

closeDatabasesAfterEach();
const open = openTestDatabase;

describe('addressKey', () => {
  it('groups an IPv6 /64 and keeps IPv4 addresses apart', () => {
    expect(addressKey('2001:db8:1:2::1')).toBe(addressKey('2001:db8:1:2:ffff::9'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:10.0.0.1')).toBe(addressKey('10.0.0.1'));
    expect(addressKey('10.0.0.1')).not.toBe(addressKey('10.0.0.2'));
  });
});

describe.each(['sqlite', 'postgres'] as const)('login throttle on %s', (dialect) => {
  let clock = 1_000_000;
  const setup = async () => {
    clock = 1_000_000;
    const database = await open(dialect);
    await database.db
      .insertInto('agents')
      .values({ id: 'a1', email: 'owner@example.com', name: 'Owner', role: 'admin', password_hash: 'x', capacity: 3, created_at: 0 })
      .execute();
    return { database, throttle: createLoginThrottle({ db: database.db, dialect: database.dialect, now: () => clock }) };
  };
  const fail = async (throttle: LoginThrottle, email: string, address: string) => {
    const verdict = await throttle.attempt(email, address);
    if (verdict.allowed) await verdict.settle(null);
    return verdict;
  };

  it('lets five wrong passwords through, then doubles the wait after each further one, up to 15 minutes', async () => {
    const { throttle } = await setup();
    for (let i = 0; i < 5; i++) expect((await fail(throttle, 'owner@example.com', '10.0.0.9')).allowed).toBe(true);
    const sixth = await throttle.attempt('owner@example.com', '10.0.0.9');
    expect(sixth).toEqual({ allowed: false, retryAfterMs: 1000 });
    let wait = 1000;
    for (let i = 0; i < 12; i++) {
      clock += wait - 1;
      expect((await throttle.attempt('owner@example.com', '10.0.0.9')).allowed).toBe(false);
      clock += 1;
      expect((await fail(throttle, 'owner@example.com', '10.0.0.9')).allowed).toBe(true);
      wait = Math.min(wait * 2, DEFAULT_LOGIN_LIMITS.maxDelayMs);
      expect(await throttle.attempt('owner@example.com', '10.0.0.9')).toEqual({ allowed: false, retryAfterMs: wait });
    }
    expect(wait).toBe(15 * 60_000);
    // Another address is not slowed down by this one's failures.
    expect((await throttle.attempt('owner@example.com', '10.0.0.10')).allowed).toBe(true);
  });

  it('clears the wait after the right password, and forgets failures after a day', async () => {
    const { throttle } = await setup();
    for (let i = 0; i < 5; i++) await fail(throttle, 'owner@example.com', '10.0.0.9');
    clock += 1000;
    const right = await throttle.attempt('owner@example.com', '10.0.0.9');
    expect(right.allowed).toBe(true);
    if (right.allowed) await right.settle({ agentId: 'a1' });
    for (let i = 0; i < 5; i++) expect((await fail(throttle, 'owner@example.com', '10.0.0.9')).allowed).toBe(true);
    expect((await throttle.attempt('owner@example.com', '10.0.0.9')).allowed).toBe(false);
    clock += DEFAULT_LOGIN_LIMITS.forgetAfterMs;
    for (let i = 0; i < 5; i++) expect((await fail(throttle, 'owner@example.com', '10.0.0.9')).allowed).toBe(true);
  });

  it('caps a spray across accounts from one address at 50 failures an hour, for every account, known or not', async () => {
    const { throttle } = await setup();
    for (let i = 0; i < 50; i++) expect((await fail(throttle, `user${i}@example.com`, '203.0.113.5')).allowed).toBe(true);
    const next = await throttle.attempt('owner@example.com', '203.0.113.5');
    expect(next.allowed).toBe(false);
    expect(next.allowed === false && next.retryAfterMs).toBe(DEFAULT_LOGIN_LIMITS.windowMs);
    expect((await throttle.attempt('owner@example.com', '198.51.100.1')).allowed).toBe(true);
    clock += DEFAULT_LOGIN_LIMITS.windowMs;
    expect((await throttle.attempt('someone@example.com', '203.0.113.5')).allowed).toBe(true);
  });

  it('refuses addresses the owner never used once an account had 100 failures in an hour, but lets the owner in', async () => {
    const { throttle } = await setup();
    const ownerHome = '192.0.2.44';
    const first = await throttle.attempt('owner@example.com', ownerHome);
    if (first.allowed) await first.settle({ agentId: 'a1' });
    for (let i = 0; i < 100; i++) expect((await fail(throttle, 'owner@example.com', `10.1.${i >> 8}.${i & 255}`)).allowed).toBe(true);
    expect((await throttle.attempt('owner@example.com', '10.9.9.9')).allowed).toBe(false);
    const owner = await throttle.attempt('owner@example.com', ownerHome);
    expect(owner.allowed).toBe(true);
    // Other accounts are not affected.
    expect((await throttle.attempt('other@example.com', '10.9.9.9')).allowed).toBe(true);
  });

  it('lets at most five of twenty parallel guesses through', async () => {
    const { throttle } = await setup();
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => throttle.attempt('owner@example.com', '10.0.0.7')));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(5);
  });

  it('counts unknown emails like known ones', async () => {
    const { throttle } = await setup();
    for (let i = 0; i < 5; i++) await fail(throttle, 'nobody@example.com', '10.0.0.8');
    expect(await throttle.attempt('nobody@example.com', '10.0.0.8')).toEqual({ allowed: false, retryAfterMs: 1000 });
  });
});
