#!/usr/bin/env node
// `servus` command line: manage agents without the console (the first admin, scripts).
//   servus agent add --email E --name N [--role admin|agent] [--password P] [--capacity 3]
//   servus agent list
//   servus agent remove --email E
//   servus agent password --email E [--password P]
//   servus token create --name N --scopes S1,S2 [--sites K1,K2]   (the secret is printed once)
//   servus token list
//   servus token revoke --id ID
// Uses the same configuration as the server (DATA_DIR or DATABASE_URL).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig, ConfigError } from './core/config.js';
import { openDatabase } from './storage/db.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createAgent } from './auth/agents.js';
import { hashPassword } from './core/ids.js';
import { ServusError } from './core/errors.js';
import { API_SCOPES, createApiTokens } from './auth/api-tokens.js';
import type { ApiScope } from '@servus/shared';

const USAGE = `Usage:
  servus agent add --email EMAIL --name NAME [--role admin|agent] [--password PASSWORD] [--capacity N]
  servus agent list
  servus agent remove --email EMAIL
  servus agent password --email EMAIL [--password PASSWORD]
  servus token create --name NAME --scopes SCOPE[,SCOPE] [--sites KEY[,KEY]]
  servus token list
  servus token revoke --id TOKEN_ID
Without --password a random one is generated and printed once.
Token scopes: ${API_SCOPES.join(', ')}. Without --sites a token acts on every site.`;

export async function runCli(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  if ((group !== 'agent' && group !== 'token') || !command) {
    out(USAGE);
    return 2;
  }
  if (group === 'token') return runTokenCli(command, rest, out);
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      capacity: { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfig();
  const database = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const { db } = database;
  try {
    switch (command) {
      case 'add': {
        if (!values.email || !values.name) throw new Error('--email and --name are required');
        const role = values.role ?? 'agent';
        if (role !== 'admin' && role !== 'agent') throw new Error('--role must be admin or agent');
        const capacity = values.capacity === undefined ? 3 : Number(values.capacity);
        if (!Number.isInteger(capacity) || capacity < 1 || capacity > 50) throw new Error('--capacity must be a whole number from 1 to 50');
        const password = values.password ?? randomBytes(12).toString('base64url');
        if (password.length < 8) throw new Error('--password must be at least 8 characters');
        const sites = await db.selectFrom('sites').select('key').execute();
        const agent = await createAgent(db, {
          email: values.email,
          name: values.name,
          role,
          password,
          capacity,
          siteKeys: sites.map((s) => s.key),
        });
        out(`Created ${agent.role} ${agent.email} (${agent.id})${values.password ? '' : ` with password ${password}`}`);
        return 0;
      }
      case 'list': {
        const rows = await db.selectFrom('agents').select(['id', 'email', 'name', 'role', 'capacity']).orderBy('email').execute();
        for (const r of rows) out(`${r.email}\t${r.name}\t${r.role}\tcapacity ${r.capacity}\t${r.id}`);
        return 0;
      }
      case 'remove': {
        if (!values.email) throw new Error('--email is required');
        const res = await db.deleteFrom('agents').where('email', '=', values.email.toLowerCase()).executeTakeFirst();
        if (!Number(res.numDeletedRows)) throw new Error(`no agent with email ${values.email}`);
        out(`Removed ${values.email}`);
        return 0;
      }
      case 'password': {
        if (!values.email) throw new Error('--email is required');
        const password = values.password ?? randomBytes(12).toString('base64url');
        if (password.length < 8) throw new Error('--password must be at least 8 characters');
        const agent = await db.selectFrom('agents').select('id').where('email', '=', values.email.toLowerCase()).executeTakeFirst();
        if (!agent) throw new Error(`no agent with email ${values.email}`);
        await db
          .updateTable('agents')
          .set({ password_hash: await hashPassword(password) })
          .where('id', '=', agent.id)
          .execute();
        // The owner gets back in at once, however many failed logins there were.
        await createLoginThrottle({ db, dialect: database.dialect }).clearAccount(values.email);
        await db.deleteFrom('sessions').where('agent_id', '=', agent.id).execute();
        out(`New password for ${values.email}${values.password ? '' : `: ${password}`} (all sessions ended)`);
        return 0;
      }
      default:
        out(USAGE);
        return 2;
    }
  } finally {
    await database.close();
  }
}

/** `servus token …`: API tokens for integrations (docs/integrations.md). */
async function runTokenCli(command: string, args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, sites: { type: 'string' }, id: { type: 'string' } },
    strict: true,
  });
  const config = loadConfig();
  const database = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const tokens = createApiTokens({ db: database.db });
  try {
    switch (command) {
      case 'create': {
        const name = values.name?.trim();
        if (!name || name.length > 200) throw new Error('--name is required (at most 200 characters)');
        const scopes = (values.scopes ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = scopes.find((s) => !(API_SCOPES as readonly string[]).includes(s));
        if (!scopes.length || unknown !== undefined) throw new Error(`--scopes must name one or more of: ${API_SCOPES.join(', ')}`);
        const all = (await database.db.selectFrom('sites').select('key').execute()).map((s) => s.key);
        const sites = values.sites
          ? values.sites
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : all;
        const missing = sites.find((k) => !all.includes(k));
        if (missing !== undefined || !sites.length) throw new Error(`no site ${missing ?? ''}`.trim());
        const { token, secret } = await tokens.create({ name, scopes: scopes as ApiScope[], siteKeys: sites, createdBy: null });
        out(`Created token ${token.id} "${token.name}" (${token.scopes.join(', ')}; sites ${token.siteKeys.join(', ')})`);
        out(`Secret (shown only now): ${secret}`);
        return 0;
      }
      case 'list': {
        for (const t of await tokens.list()) {
          const used = t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : 'never used';
          out(`${t.id}\t${t.name}\t${t.prefix}…\t${t.scopes.join(',')}\t${used}${t.revokedAt ? '\trevoked' : ''}`);
        }
        return 0;
      }
      case 'revoke': {
        if (!values.id) throw new Error('--id is required');
        if (!(await tokens.revoke(values.id))) throw new Error(`no live token ${values.id}`);
        out(`Revoked ${values.id}`);
        return 0;
      }
      default:
        out(USAGE);
        return 2;
    }
  } finally {
    await database.close();
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (invokedDirectly) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError) console.error(err.message);
      else console.error(`servus: ${err instanceof ServusError || err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
