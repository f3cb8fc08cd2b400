// First start: the demo site with the example FAQ, and an admin agent.
import { existsSync, mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { hashPassword, randomId } from '../core/ids.js';
import type { SiteSettings } from '../sites/sites.js';

export const DEMO_SITE = 'demo';

/** The demo site's proactive greeting (docs/proactive.md): after 20 s on the demo page. */
export const DEMO_PROACTIVE_RULE = {
  id: 'demo-shipping',
  urlPattern: '/demo*',
  delaySeconds: 20,
  returningOnly: false,
  text: { de: 'Fragen zu Versand oder Rückgabe? Wir helfen gern.', en: 'Questions about shipping or returns? We are happy to help.' },
};

export interface SeedOptions {
  db: Kysely<Database>;
  adminEmail: string;
  adminPassword?: string | undefined;
  seedDemo: boolean;
  /** Folder of the example FAQs (examples/faq) and where each site's FAQ lives (DATA_DIR/faq/SITE). */
  exampleFaqDir: string;
  faqDir: string;
  now?: () => number;
}

export interface SeedResult {
  createdSite: boolean;
  /** Set when an admin was created with a generated password: print it once. */
  generatedPassword?: string;
  createdAdmin: boolean;
}

export async function seed({
  db,
  adminEmail,
  adminPassword,
  seedDemo,
  exampleFaqDir,
  faqDir,
  now = Date.now,
}: SeedOptions): Promise<SeedResult> {
  const result: SeedResult = { createdSite: false, createdAdmin: false };
  if (seedDemo && !(await db.selectFrom('sites').select('key').where('key', '=', DEMO_SITE).executeTakeFirst())) {
    const settings: SiteSettings = {
      color: '#0f766e',
      position: 'right',
      title: { de: 'Servus Shop', en: 'Servus Shop' },
      greeting: { de: 'Servus! Wie können wir helfen?', en: 'Hi! How can we help?' },
      botName: 'Servus Bot',
      defaultLang: 'de',
      ratings: { nps: true, ces: false },
      serviceLevel: { firstResponseSeconds: 60 },
      proactive: [DEMO_PROACTIVE_RULE],
    };
    await db
      .insertInto('sites')
      .values({
        key: DEMO_SITE,
        name: 'Servus Shop',
        secret: randomBytes(32).toString('base64url'),
        settings: JSON.stringify(settings),
        created_at: now(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    result.createdSite = true;
  }
  if (seedDemo) {
    const target = join(faqDir, DEMO_SITE);
    if (!existsSync(target) && existsSync(exampleFaqDir)) {
      mkdirSync(target, { recursive: true });
      for (const file of readdirSync(exampleFaqDir))
        if (/^shop\.(de|en)\.md$/.test(file)) copyFileSync(join(exampleFaqDir, file), join(target, file));
    }
  }
  const anyAgent = await db.selectFrom('agents').select('id').limit(1).executeTakeFirst();
  if (!anyAgent) {
    const password = adminPassword ?? randomBytes(12).toString('base64url');
    const id = randomId('a');
    await db
      .insertInto('agents')
      .values({
        id,
        email: adminEmail.toLowerCase(),
        name: 'Admin',
        role: 'admin',
        password_hash: await hashPassword(password),
        capacity: 3,
        created_at: now(),
      })
      .execute();
    const siteRows = await db.selectFrom('sites').select('key').execute();
    if (siteRows.length)
      await db
        .insertInto('agent_sites')
        .values(siteRows.map((s) => ({ agent_id: id, site_key: s.key })))
        .execute();
    result.createdAdmin = true;
    if (!adminPassword) result.generatedPassword = password;
  }
  return result;
}
