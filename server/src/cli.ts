#!/usr/bin/env node
// `servus` command line: manage agents without the console (the first admin, scripts).
//   servus agent add --email E --name N [--role admin|agent] [--password P] [--capacity 3]
//   servus agent list
//   servus agent remove --email E
//   servus agent password --email E [--password P]
//   servus agent edit --email E [--name N] [--role admin|agent] [--capacity N] [--sites a,b] [--deactivate | --activate]
// Uses the same configuration as the server (DATA_DIR or DATABASE_URL).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig, ConfigError } from './core/config.js';
import { openDatabase } from './storage/db.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createAgent } from './auth/agents.js';
import { hashPassword } from './core/ids.js';
import { ServusError } from './core/errors.js';

const USAGE = `Usage:
  servus agent add --email EMAIL --name NAME [--role admin|agent] [--password PASSWORD] [--capacity N]
  servus agent list
  servus agent remove --email EMAIL
  servus agent password --email EMAIL [--password PASSWORD]
  servus agent edit --email EMAIL [--name NAME] [--role admin|agent] [--capacity N] [--sites KEY,KEY] [--deactivate | --activate]
Without --password a random one is generated and printed once. A change of role or sites, or
--deactivate, ends the agent's sessions (they log in again with their new rights).`;

export async function runCli(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group !== 'agent' || !command) {
    out(USAGE);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      password: { type: 'string' },
      capacity: { type: 'string' },
      sites: { type: 'string' },
      deactivate: { type: 'boolean' },
      activate: { type: 'boolean' },
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
        const rows = await db.selectFrom('agents').select(['id', 'email', 'name', 'role', 'capacity', 'active']).orderBy('email').execute();
        for (const r of rows) out(`${r.email}\t${r.name}\t${r.role}\tcapacity ${r.capacity}\t${r.id}${r.active ? '' : '\tdeactivated'}`);
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
      case 'edit': {
        if (!values.email) throw new Error('--email is required');
        if (values.deactivate && values.activate) throw new Error('--deactivate and --activate exclude each other');
        const agent = await db.selectFrom('agents').selectAll().where('email', '=', values.email.toLowerCase()).executeTakeFirst();
        if (!agent) throw new Error(`no agent with email ${values.email}`);
        const set: { name?: string; role?: 'admin' | 'agent'; capacity?: number; active?: number } = {};
        if (values.name !== undefined) {
          const name = values.name.trim();
          if (!name || name.length > 200) throw new Error('--name must be 1 to 200 characters');
          set.name = name;
        }
        if (values.role !== undefined) {
          if (values.role !== 'admin' && values.role !== 'agent') throw new Error('--role must be admin or agent');
          set.role = values.role;
        }
        if (values.capacity !== undefined) {
          const capacity = Number(values.capacity);
          if (!Number.isInteger(capacity) || capacity < 1 || capacity > 50)
            throw new Error('--capacity must be a whole number from 1 to 50');
          set.capacity = capacity;
        }
        if (values.deactivate) set.active = 0;
        if (values.activate) set.active = 1;
        const before = (await db.selectFrom('agent_sites').select('site_key').where('agent_id', '=', agent.id).execute()).map(
          (r) => r.site_key,
        );
        let sites = before;
        if (values.sites !== undefined) {
          sites = [
            ...new Set(
              values.sites
                .split(',')
                .map((k) => k.trim())
                .filter(Boolean),
            ),
          ];
          const known = new Set((await db.selectFrom('sites').select('key').execute()).map((r) => r.key));
          const unknown = sites.find((k) => !known.has(k));
          if (unknown !== undefined) throw new Error(`no site with key ${unknown}`);
        }
        const sitesChanged = [...sites].sort().join() !== [...before].sort().join();
        const ends = (set.role !== undefined && set.role !== agent.role) || sitesChanged || (set.active === 0 && agent.active === 1);
        await db.transaction().execute(async (tx) => {
          if (Object.keys(set).length) await tx.updateTable('agents').set(set).where('id', '=', agent.id).execute();
          if (sitesChanged) {
            await tx.deleteFrom('agent_sites').where('agent_id', '=', agent.id).execute();
            if (sites.length)
              await tx
                .insertInto('agent_sites')
                .values(sites.map((k) => ({ agent_id: agent.id, site_key: k })))
                .execute();
          }
          // Their sockets close within a second on every instance (realtime/session-check.ts).
          if (ends) await tx.deleteFrom('sessions').where('agent_id', '=', agent.id).execute();
        });
        out(`Updated ${values.email}${ends ? ' (all sessions ended)' : ''}`);
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
