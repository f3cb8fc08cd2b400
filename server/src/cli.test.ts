import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.js';
import { openDatabase } from './storage/db.js';
import { verifyPassword } from './core/ids.js';
import { createApiTokens } from './auth/api-tokens.js';
import { startTestServer } from './testing/in-process.js';
import { newVisitor } from './testing/client.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  delete process.env.DATA_DIR;
});

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

describe('servus agent', () => {
  it('adds, lists, resets and removes agents in the configured database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-cli-'));
    dirs.push(dir);
    process.env.DATA_DIR = dir;
    const added = await cli('agent', 'add', '--email', 'Ops@Example.com', '--name', 'Ops', '--role', 'admin');
    expect(added.code).toBe(0);
    const password = /with password (\S+)/.exec(added.out)![1]!;
    expect((await cli('agent', 'list')).out).toMatch(/^ops@example\.com\tOps\tadmin\tcapacity 3/);
    await expect(cli('agent', 'add', '--email', 'ops@example.com', '--name', 'Again')).rejects.toThrow(/exists already/);
    await expect(cli('agent', 'add', '--email', 'x@example.com', '--name', 'X', '--role', 'boss')).rejects.toThrow(/--role/);
    expect((await cli('agent', 'password', '--email', 'ops@example.com', '--password', 'brand-new-pass')).code).toBe(0);
    const { db, close } = await openDatabase({ dataDir: dir });
    const row = await db.selectFrom('agents').select('password_hash').where('email', '=', 'ops@example.com').executeTakeFirstOrThrow();
    expect(await verifyPassword('brand-new-pass', row.password_hash)).toBe(true);
    expect(await verifyPassword(password, row.password_hash)).toBe(false);
    await close();
    expect((await cli('agent', 'remove', '--email', 'ops@example.com')).code).toBe(0);
    expect((await cli('agent', 'list')).out).toBe('');
    expect((await cli('nonsense')).code).toBe(2);
  });
});

describe('servus token', () => {
  it('creates a token (secret printed once), lists it with its last use, and revokes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'servus-cli-'));
    dirs.push(dir);
    process.env.DATA_DIR = dir;
    const setup = await openDatabase({ dataDir: dir });
    await setup.db.insertInto('sites').values({ key: 'shop', name: 'Shop', secret: 's', settings: '{}', created_at: Date.now() }).execute();
    await setup.close();
    await expect(cli('token', 'create', '--name', 'CRM', '--scopes', 'everything')).rejects.toThrow(/--scopes/);
    await expect(cli('token', 'create', '--name', 'CRM', '--scopes', 'metrics:read', '--sites', 'elsewhere')).rejects.toThrow(
      /no site elsewhere/,
    );
    const created = await cli('token', 'create', '--name', 'CRM', '--scopes', 'conversations:read,messages:write');
    expect(created.code).toBe(0);
    const secret = /Secret \(shown only now\): (svs_\S+)/.exec(created.out)![1]!;
    const id = /Created token (tok_\S+)/.exec(created.out)![1]!;
    const { db, close } = await openDatabase({ dataDir: dir });
    const tokens = createApiTokens({ db });
    expect(await tokens.authenticate(`Bearer ${secret}`)).toMatchObject({
      id,
      scopes: ['conversations:read', 'messages:write'],
      siteKeys: ['shop'],
    });
    expect((await cli('token', 'list')).out).toMatch(
      new RegExp(`^${id}\\tCRM\\t${secret.slice(0, 10)}…\\tconversations:read,messages:write\\t\\d{4}-`),
    );
    expect((await cli('token', 'revoke', '--id', id)).code).toBe(0);
    expect(await tokens.authenticate(`Bearer ${secret}`)).toBeNull();
    expect((await cli('token', 'list')).out).toMatch(/\trevoked$/);
    await expect(cli('token', 'revoke', '--id', id)).rejects.toThrow(/no live token/);
    await close();
  });
});

describe('servus privacy', () => {
  it('finds, exports and erases a person from the command line, and writes the audit log', async () => {
    const server = await startTestServer();
    dirs.push(server.dataDir);
    const v = await newVisitor(server.url);
    v.client.send({ type: 'offline.submit', cid: 'o', email: 'cli.person@example.com', message: 'Rückruf bitte, Kiwi 31' });
    await v.client.next((f) => f.cid === 'o');
    v.client.close();
    await server.stop();
    process.env.DATA_DIR = server.dataDir;
    const found = await cli('privacy', 'find', '--email', 'cli.person@example.com');
    expect(found.code).toBe(0);
    expect(found.out).toContain(`visitor\t${v.visitorId}\tdemo\tcli.person@example.com`);
    const out = join(server.dataDir, 'export.json');
    expect((await cli('privacy', 'export', '--email', 'cli.person@example.com', '--out', out)).code).toBe(0);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(out, 'utf8')).toContain('Rückruf bitte, Kiwi 31');
    await expect(cli('privacy', 'erase', '--email', 'cli.person@example.com')).rejects.toThrow(/--yes/);
    expect((await cli('privacy', 'erase', '--email', 'cli.person@example.com', '--yes')).out).toMatch(/^Erased 1 visitor record/);
    expect((await cli('privacy', 'find', '--email', 'cli.person@example.com')).code).toBe(1);
    const audit = await cli('privacy', 'audit');
    expect(audit.out).toMatch(/person\.erase\tcli:/);
    expect(audit.out).not.toContain('cli.person@example.com');
  });
});
