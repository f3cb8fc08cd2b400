#!/usr/bin/env node
// `servus` command line: manage agents without the console (the first admin, scripts).
//   servus agent add --email E --name N [--role admin|agent] [--password P] [--capacity 3]
//   servus agent list
//   servus agent remove --email E
//   servus agent password --email E [--password P]
//   servus privacy find|export|erase (--email E | --visitor ID | --conversation ID) [--site KEY] [--out FILE] [--yes]
//   servus privacy retention --site KEY       (one retention pass now)
//   servus privacy audit [--site KEY] [--limit N]
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
Without --password a random one is generated and printed once. Every privacy command is written to
the audit log (actor "cli"). Erasure cannot be undone.`;

export async function runCli(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === 'privacy' && command) return runPrivacy(command, rest, out);
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
  const config = loadConfig();
  const database = await openDatabase({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    ...(config.databaseSchema ? { pgSchema: config.databaseSchema } : {}),
  });
  const { db } = database;
  const audit = createAuditLog({ db, addressMode: config.ipAddresses });
  const privacy = createPrivacy({ db });
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
