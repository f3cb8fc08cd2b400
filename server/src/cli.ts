#!/usr/bin/env node
// `servus` command line: manage agents without the console (the first admin, scripts).
//   servus agent add --email E --name N [--role admin|agent] [--password P] [--capacity 3]
//   servus agent list
//   servus agent remove --email E
//   servus agent password --email E [--password P]
//   servus privacy find|export|erase (--email E | --visitor ID | --conversation ID) [--site KEY] [--out FILE] [--yes]
//   servus privacy retention --site KEY       (one retention pass now)
//   servus privacy audit [--site KEY] [--limit N]
//   servus token create --name N --scopes S1,S2 [--sites K1,K2]   (the secret is printed once)
//   servus token list
//   servus token revoke --id ID
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
import { writeFileSync } from 'node:fs';
import { createAuditLog } from './privacy/audit.js';
import { createPrivacy, type PersonQuery } from './privacy/privacy.js';
import { subjectOf } from './privacy/subject.js';
import { API_SCOPES, createApiTokens } from './auth/api-tokens.js';
import type { ApiScope } from '@servus/shared';
import { createDatabaseBlobStore } from './attachments/store.js';

const USAGE = `Usage:
  servus agent add --email EMAIL --name NAME [--role admin|agent] [--password PASSWORD] [--capacity N]
  servus agent list
  servus agent remove --email EMAIL
  servus agent password --email EMAIL [--password PASSWORD]
  servus privacy find (--email EMAIL | --visitor ID | --conversation ID) [--site KEY]
  servus privacy export (--email EMAIL | --visitor ID | --conversation ID) [--site KEY] [--out FILE]
  servus privacy erase (--email EMAIL | --visitor ID | --conversation ID) [--site KEY] --yes
  servus privacy retention --site KEY
  servus privacy audit [--site KEY] [--limit N]
  servus token create --name NAME --scopes SCOPE[,SCOPE] [--sites KEY[,KEY]]
  servus token list
  servus token revoke --id TOKEN_ID
  servus agent edit --email EMAIL [--name NAME] [--role admin|agent] [--capacity N] [--sites KEY,KEY] [--deactivate | --activate]
Without --password a random one is generated and printed once. A change of role or sites, or
--deactivate, ends the agent's sessions (they log in again with their new rights). Every privacy
command is written to the audit log (actor "cli"). Erasure cannot be undone.
Token scopes: ${API_SCOPES.join(', ')}. Without --sites a token acts on every site.`;

export async function runCli(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === 'privacy' && command) return runPrivacy(command, rest, out);
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
      sites: { type: 'string' },
      deactivate: { type: 'boolean' },
      activate: { type: 'boolean' },
    },
    strict: true,
  });
  const { database } = await openConfiguredDatabase();
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

/** The database the server uses (DATA_DIR, or DATABASE_URL with DATABASE_SCHEMA), for every command. */
async function openConfiguredDatabase() {
  const config = loadConfig();
  const database = await openDatabase({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    ...(config.databaseSchema ? { pgSchema: config.databaseSchema } : {}),
  });
  return { config, database };
}

async function runPrivacy(command: string, args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      visitor: { type: 'string' },
      conversation: { type: 'string' },
      site: { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      yes: { type: 'boolean' },
    },
    strict: true,
  });
  const { config, database } = await openConfiguredDatabase();
  const { db } = database;
  const audit = createAuditLog({ db, addressMode: config.ipAddresses });
  // The conversations' files, as the server keeps them (in the database): listed in exports, deleted with erasures.
  const blobs = createDatabaseBlobStore(db, { dialect: database.dialect });
  const privacy = createPrivacy({
    db,
    attachments: {
      listForConversation: (id) =>
        db.selectFrom('attachments').select(['id', 'name', 'type', 'size', 'created_at']).where('conversation_id', '=', id).execute(),
      async deleteForConversation(ids) {
        if (!ids.length) return 0;
        const rows = await db
          .selectFrom('attachments')
          .select('id')
          .where('conversation_id', 'in', [...ids])
          .execute();
        if (!rows.length) return 0;
        await blobs.delete(rows.map((r) => r.id));
        await db
          .deleteFrom('attachments')
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
        return rows.length;
      },
    },
  });
  const actor = { type: 'cli' as const, name: process.env.USER ?? null };
  try {
    const allSites = (await db.selectFrom('sites').select(['key', 'secret']).execute()) as { key: string; secret: string }[];
    if (values.site !== undefined && !allSites.some((s) => s.key === values.site)) throw new Error(`no site ${values.site}`);
    const siteKeys = values.site !== undefined ? [values.site] : allSites.map((s) => s.key);
    const secret = values.site !== undefined ? allSites.find((s) => s.key === values.site)?.secret : undefined;
    const person = (): PersonQuery => {
      const given = [values.email, values.visitor, values.conversation].filter((v) => v !== undefined);
      if (given.length !== 1) throw new Error('give exactly one of --email, --visitor, --conversation');
      return values.email !== undefined
        ? { email: values.email }
        : values.visitor !== undefined
          ? { visitorId: values.visitor }
          : { conversationId: values.conversation! };
    };
    const record = (action: string, query: PersonQuery | null, detail: Record<string, unknown>) =>
      audit.record(actor, { action, siteKey: values.site ?? null, subject: query ? subjectOf(query, secret) : null, detail });
    switch (command) {
      case 'find': {
        const query = person();
        const found = await privacy.find(siteKeys, query);
        await record('person.view', query, { visitors: found.visitors.length, conversations: found.conversations.length });
        for (const v of found.visitors) out(`visitor\t${v.id}\t${v.siteKey}\t${v.email ?? ''}\t${v.name ?? ''}`);
        for (const c of found.conversations)
          out(`conversation\t${c.id}\t${c.siteKey}\t${c.status}\t${new Date(c.createdAt).toISOString()}`);
        if (!found.visitors.length) out('Nobody found.');
        return found.visitors.length ? 0 : 1;
      }
      case 'export': {
        const query = person();
        const doc = await privacy.exportPerson(siteKeys, query);
        await record('person.export', query, { visitors: doc.visitors.length, conversations: doc.conversations.length });
        const text = `${JSON.stringify(doc, null, 2)}\n`;
        if (values.out) {
          writeFileSync(values.out, text, { mode: 0o600 });
          out(`Wrote ${values.out} (${doc.conversations.length} conversations)`);
        } else out(text.trimEnd());
        return 0;
      }
      case 'erase': {
        const query = person();
        if (!values.yes) throw new Error('erasure cannot be undone: add --yes');
        const erased = await privacy.erasePerson(siteKeys, query);
        await record('person.erase', query, erased);
        out(`Erased ${erased.visitors} visitor record(s), ${erased.conversations} conversation(s), ${erased.events} event(s)`);
        return 0;
      }
      case 'retention': {
        if (!values.site) throw new Error('--site is required');
        const site = await db.selectFrom('sites').select('settings').where('key', '=', values.site).executeTakeFirstOrThrow();
        const days = (JSON.parse(site.settings) as { privacy?: { retentionDays?: number } }).privacy?.retentionDays;
        if (!days) throw new Error(`site ${values.site} has no retention period (privacy.retentionDays)`);
        const result = await privacy.retentionPass(values.site, days);
        await record('retention.run', null, {
          days,
          conversations: result.conversations,
          visitors: result.visitors,
          cutoff: result.cutoff,
        });
        out(`Erased ${result.conversations} conversation(s) and ${result.visitors} visitor record(s) older than ${days} days`);
        return 0;
      }
      case 'audit': {
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error('--limit must be a whole number from 1 to 1000');
        const entries = await audit.list({ ...(values.site ? { siteKeys: [values.site] } : {}), limit });
        for (const e of entries)
          out(
            [
              new Date(e.at).toISOString(),
              e.action,
              `${e.actor.type}:${e.actor.name ?? e.actor.id ?? ''}`,
              e.address ?? '',
              e.siteKey ?? '',
              e.subject ?? '',
              JSON.stringify(e.detail),
            ].join('\t'),
          );
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
  const { database } = await openConfiguredDatabase();
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
