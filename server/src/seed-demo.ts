#!/usr/bin/env node
// `npm run seed:demo`: fills the configured database with 30 days of realistic conversations on
// the demo site (bot answers, handoffs, agents, ratings), written through the conversation service
// with a clock set in the past, so the console and the metrics have something to show.
import { loadConfig } from './core/config.js';
import { openDatabase } from './storage/db.js';
import { createWriteQueue } from './storage/write-queue.js';
import { createConversations } from './conversations/index.js';
import type { AgentActor, VisitorActor } from './core/actors.js';
import type { BotResponder } from './bot/index.js';
import { seed, DEMO_SITE, DEMO_PROACTIVE_RULE } from './app/seed.js';
import { countProactiveEvent } from './proactive/counts.js';
import { createAgent } from './auth/agents.js';
import { createAuth } from './auth/auth.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from './core/seeded-random.js';

const QUESTIONS: Record<'de' | 'en', [string, string][]> = {
  de: [
    ['Wie lange dauert der Versand nach Österreich?', 'Der Versand nach Österreich dauert 2–3 Werktage.'],
    ['Kann ich meine Bestellung zurückschicken?', 'Ja, Sie haben 30 Tage Rückgaberecht.'],
    ['Welche Zahlungsarten gibt es?', 'Wir akzeptieren Kreditkarte, PayPal, Klarna und Vorkasse.'],
    ['Wo ist mein Paket?', 'Den Sendungsstatus finden Sie unter „Meine Bestellungen“.'],
  ],
  en: [
    ['How long does shipping to Germany take?', 'Shipping to Germany takes 2–3 working days.'],
    ['Can I return my order?', 'Yes, you have 30 days to return it.'],
    ['Which payment methods do you accept?', 'We accept credit card, PayPal, Klarna and bank transfer.'],
  ],
};
const UNANSWERED = [
  'Habt ihr auch Kinderschuhe in Größe 28?',
  'Can I pick up my order in Salzburg?',
  'Gibt es einen Mengenrabatt für Vereine?',
];
const AGENT_REPLIES = [
  'Grüß Gott! Ich sehe mir das gleich an.',
  'Danke für Ihre Geduld – erledigt!',
  'Hi! Let me check that for you.',
  'Done – anything else I can help with?',
];

export async function seedDemo({
  days = 30,
  perDay = 12,
  log = console.log,
}: { days?: number; perDay?: number; log?: (s: string) => void } = {}): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const { db } = database;
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  await seed({
    db,
    adminEmail: config.adminEmail,
    adminPassword: config.adminPassword,
    seedDemo: true,
    exampleFaqDir: join(repoRoot, 'examples', 'faq'),
    faqDir: join(config.dataDir, 'faq'),
  });
  // A demo database from before proactive messages gets the demo rule, so its counts have a rule to belong to.
  const demoSite = await db.selectFrom('sites').select('settings').where('key', '=', DEMO_SITE).executeTakeFirstOrThrow();
  const demoSettings = JSON.parse(demoSite.settings) as { proactive?: unknown };
  if (demoSettings.proactive === undefined) {
    demoSettings.proactive = [DEMO_PROACTIVE_RULE];
    await db
      .updateTable('sites')
      .set({ settings: JSON.stringify(demoSettings) })
      .where('key', '=', DEMO_SITE)
      .execute();
  }
  const random = seededRandom(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const agents: AgentActor[] = [];
  for (const [name, email] of [
    ['Anna Huber', 'anna@servus-shop.example'],
    ['Ben Gruber', 'ben@servus-shop.example'],
    ['Clara Wagner', 'clara@servus-shop.example'],
  ] as const) {
    const existing = await db.selectFrom('agents').select(['id', 'name']).where('email', '=', email).executeTakeFirst();
    const agent =
      existing ??
      (await createAgent(db, { name, email, role: 'agent', password: `${email.split('@')[0]}-demo-password`, siteKeys: [DEMO_SITE] }));
    agents.push({ kind: 'agent', id: agent.id, name: agent.name, siteKeys: [DEMO_SITE] });
  }
  let clock = 0;
  let turnLang: 'de' | 'en' = 'de';
  let nextBot: { kind: 'answer' | 'unsure' | 'handoff'; text: string } = { kind: 'answer', text: '' };
  const bot: BotResponder = {
    reply: () => ({
      kind: nextBot.kind,
      text: nextBot.text,
      lang: turnLang,
      confidence: nextBot.kind === 'answer' ? 0.82 : 0.2,
      suggestions: [],
      offerHandoff: nextBot.kind !== 'answer',
      // Unsure twice in a row: the bot hands over by itself (a second handoff reason on the dashboard).
      ...(nextBot.kind === 'handoff' ? { handoffReason: 'low_confidence' as const } : {}),
      state: { misses: 0, recent: [] },
      botName: 'Servus Bot',
    }),
  };
  const writes = createWriteQueue(db);
  const { commands: service } = createConversations({
    db,
    dialect: database.dialect,
    writes,
    bots: bot,
    now: () => clock,
    reopenWindowMs: 7 * 86_400_000,
    defaultHandlingSeconds: 300,
  });
  const auth = createAuth({ db, dialect: database.dialect, sessionTtlMs: 1 });
  const start = Date.now() - days * 86_400_000;
  let count = 0;
  for (let day = 0; day < days; day++) {
    const n = Math.round(perDay * (0.6 + random() * 0.8) * ([0, 6].includes(new Date(start + day * 86_400_000).getUTCDay()) ? 0.5 : 1));
    for (let i = 0; i < n; i++) {
      clock = start + day * 86_400_000 + (7 + random() * 12) * 3_600_000;
      turnLang = random() < 0.7 ? 'de' : 'en';
      const { visitor } = await auth.createVisitor(
        DEMO_SITE,
        JSON.stringify({
          lang: turnLang,
          url: 'https://servus-shop.example/',
          userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
        }),
      );
      const v: VisitorActor = visitor;
      // Some visits start from the proactive greeting (docs/proactive.md): shown on the demo page, sometimes opened.
      const proactive = random();
      if (proactive < 0.55) {
        await countProactiveEvent(db, { siteKey: DEMO_SITE, ruleId: DEMO_PROACTIVE_RULE.id, event: 'shown', at: clock - 30_000 });
        if (proactive < 0.18) {
          await countProactiveEvent(db, { siteKey: DEMO_SITE, ruleId: DEMO_PROACTIVE_RULE.id, event: 'opened', at: clock - 10_000 });
          v.proactiveRuleId = DEMO_PROACTIVE_RULE.id;
        }
      }
      const roll = random();
      const [question, answer] = roll < 0.8 ? pick(QUESTIONS[turnLang]) : [pick(UNANSWERED), ''];
      nextBot = answer
        ? { kind: 'answer', text: answer }
        : { kind: 'unsure', text: turnLang === 'de' ? 'Da bin ich mir nicht sicher.' : 'I am not sure about that.' };
      const first = await service.visitorMessage(v, { cid: 'q1', text: question, lang: turnLang });
      const conversationId = first.conversationId!;
      count += 1;
      // Half of the answered ones end there (contained); the others want a person.
      if (answer && random() < 0.55) {
        if (random() < 0.3) await service.rate(v, { cid: 'r', conversationId, csat: random() < 0.85 ? 5 : 4 });
        continue;
      }
      clock += 20_000 + random() * 40_000;
      if (!answer && random() < 0.6) {
        nextBot = { kind: 'handoff', text: turnLang === 'de' ? 'Ich verbinde Sie mit dem Team.' : 'Let me connect you with the team.' };
        await service.visitorMessage(v, { cid: 'q1b', conversationId, text: turnLang === 'de' ? 'Wirklich nicht?' : 'Really not?' });
      } else await service.requestHandoff(v, { cid: 'h', conversationId });
      const agent = pick(agents);
      // Most waits are short, a few are long (a busy hour): the cube skews towards zero.
      clock += 3_000 + random() ** 3 * 300_000;
      await service.claim(agent, { cid: `c-${conversationId}`, conversationId });
      clock += 4_000 + random() * 30_000;
      await service.agentMessage(agent, { cid: `a1-${conversationId}`, conversationId, text: pick(AGENT_REPLIES) });
      clock += 30_000 + random() * 60_000;
      await service.visitorMessage(v, { cid: 'q2', conversationId, text: turnLang === 'de' ? 'Danke!' : 'Thanks!' });
      clock += 60_000 + random() * 600_000;
      await service.resolve(agent, { cid: `done-${conversationId}`, conversationId });
      if (random() < 0.6) {
        const csat = random() < 0.75 ? 5 : random() < 0.6 ? 4 : random() < 0.5 ? 3 : 2;
        await service.rate(v, {
          cid: 'r',
          conversationId,
          csat,
          nps: Math.min(10, Math.max(0, csat * 2 + Math.round(random() * 2 - 1))),
          ces: random() < 0.5 ? Math.min(7, Math.max(1, 7 - csat + Math.round(random() * 2 - 1))) : undefined,
          comment: csat >= 4 ? (turnLang === 'de' ? 'Super, danke!' : 'Great, thanks!') : undefined,
        });
      }
      // Some come back within days with the same matter: reopened, so not a first-contact resolution.
      const later = clock + (0.5 + random() * 2) * 86_400_000;
      if (random() < 0.08 && later < Date.now()) {
        clock = later;
        await service.visitorMessage(v, {
          cid: 'q3',
          conversationId,
          text: turnLang === 'de' ? 'Das Paket ist doch nicht gekommen.' : 'The parcel did not arrive after all.',
        });
        clock += 10_000 + random() * 60_000;
        await service.claim(agent, { cid: `c2-${conversationId}`, conversationId });
        clock += 5_000 + random() * 30_000;
        await service.agentMessage(agent, { cid: `a2-${conversationId}`, conversationId, text: pick(AGENT_REPLIES) });
        clock += 60_000 + random() * 300_000;
        await service.resolve(agent, { cid: `done2-${conversationId}`, conversationId });
      }
    }
  }
  await writes.drain();
  await database.close();
  log(
    `Seeded ${count} demo conversations over ${days} days on site "${DEMO_SITE}" in ${config.databaseUrl ? 'PostgreSQL' : config.dataDir}.`,
  );
  return count;
}

const invokedDirectly = process.argv[1]?.endsWith('seed-demo.js');
if (invokedDirectly) {
  seedDemo().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
