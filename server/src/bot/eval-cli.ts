#!/usr/bin/env node
// `npm run eval:bot -- FILE.json [--threshold X] [--latency] [--halves] [--self] [--learn [--wrong-cost C] [--prior-labels N]]`: loads the file's FAQ as a site's FAQ
// is loaded, sends every case as a visitor's first message through the bot, and prints in-scope
// accuracy, out-of-scope recall, top-1/top-3/top-5 (ignoring the threshold) and latency. Last line: JSON.
// `--learn` simulates a site learning from its agents' work: visitors' questions added as
// phrasings and their labels fitting the site's own threshold (the learning curve).
// A site's FAQ file (.md, .yaml) has no visitor questions: for it only the self-check runs.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createFaqBot, initialBotState, DEFAULT_THRESHOLD, type BotTurn, type FaqBot } from './bot.js';
import { langFromFile, parseFaq, type FaqEntry } from './faq.js';
import { siteCalibration, type SiteLabel } from './site-calibration.js';
import type { Lang } from './text.js';

interface EvalFile {
  name?: string;
  language?: 'de' | 'en';
  faq: { id: string; question: string; variants?: string[]; answer: string }[];
  cases: { text: string; expect: string | null }[];
}

export interface EvalResult {
  in_scope_accuracy: number;
  oos_recall: number | null;
  top1_accuracy: number;
  top3_accuracy: number;
  top5_accuracy: number;
  p50_ms: number;
  p99_ms: number;
  p99_ms_1000?: number;
  p99_cpu_ms_1000?: number;
  load_ms_1000?: number;
  learning?: LearningPoint[];
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

export function entriesOf(file: EvalFile): FaqEntry[] {
  return file.faq.map((f) => ({
    id: f.id,
    question: f.question,
    variants: f.variants ?? [],
    answer: f.answer,
    ...(file.language ? { lang: file.language } : {}),
  }));
}

export function evaluate(file: EvalFile, { threshold = DEFAULT_THRESHOLD }: { threshold?: number } = {}): EvalResult {
  const lang = file.language ?? 'en';
  const bot = createFaqBot({ entries: entriesOf(file), defaultLang: lang, threshold });
  const times: number[] = [];
  // One pass first, not timed: the first questions of a process pay for compiling the code and for
  // lazy look-ups (thesaurus, dictionary), which a running server pays once, not per question.
  for (const c of file.cases) bot.reply({ text: c.text, lang, state: initialBotState() });
  const { answer_rate: _answers, right_when_answered: _right, ...figures } = measure(bot, file.cases, lang, threshold, times);
  times.sort((a, b) => a - b);
  return { ...figures, p50_ms: round(percentile(times, 0.5)), p99_ms: round(percentile(times, 0.99)) };
}

interface Figures {
  in_scope_accuracy: number;
  oos_recall: number | null;
  /** Share of the cases the bot answered with an entry (right or wrong). */
  answer_rate: number;
  /** Share of those answers that were right (what a site's fitted threshold aims at). */
  right_when_answered: number;
  top1_accuracy: number;
  top3_accuracy: number;
  top5_accuracy: number;
}

/** Every case as a visitor's first message at `threshold`; `times` collects each reply's wall-clock time. */
function measure(bot: FaqBot, cases: EvalFile['cases'], lang: Lang, threshold: number, times?: number[]): Figures {
  let inScope = 0;
  let inScopeRight = 0;
  let oos = 0;
  let oosRight = 0;
  let answeredAny = 0;
  let top1 = 0;
  let top3 = 0;
  let top5 = 0;
  for (const c of cases) {
    const t0 = performance.now();
    const turn = bot.reply({ text: c.text, lang, state: initialBotState(), threshold });
    times?.push(performance.now() - t0);
    const hits = bot.search(c.text, lang);
    const answered = turn.kind === 'answer' ? turn.faqId : undefined;
    if (answered) answeredAny += 1;
    if (c.expect === null) {
      oos += 1;
      if (!answered) oosRight += 1;
    } else {
      inScope += 1;
      if (answered === c.expect) inScopeRight += 1;
      if (hits[0]?.id === c.expect) top1 += 1;
      if (hits.slice(0, 3).some((h) => h.id === c.expect)) top3 += 1;
      if (hits.slice(0, 5).some((h) => h.id === c.expect)) top5 += 1;
    }
  }
  return {
    in_scope_accuracy: round(inScopeRight / Math.max(1, inScope)),
    oos_recall: oos ? round(oosRight / oos) : null,
    answer_rate: round(answeredAny / Math.max(1, cases.length)),
    right_when_answered: answeredAny ? round(inScopeRight / answeredAny) : 1,
    top1_accuracy: round(top1 / Math.max(1, inScope)),
    top3_accuracy: round(top3 / Math.max(1, inScope)),
    top5_accuracy: round(top5 / Math.max(1, inScope)),
  };
}

/**
 * A check from the FAQ itself, for FAQs without test questions and against tuning to one set: each
 * phrasing of an entry that has several is asked against the FAQ without that phrasing.
 */
export function selfCheck(file: EvalFile): { queries: number; top1_accuracy: number; top3_accuracy: number } | null {
  const entries = entriesOf(file);
  const lang = file.language ?? 'en';
  let queries = 0;
  let top1 = 0;
  let top3 = 0;
  entries.forEach((e, i) => {
    const phrasings = [e.question, ...e.variants];
    if (phrasings.length < 2) return;
    phrasings.forEach((q, k) => {
      const rest = phrasings.filter((_, j) => j !== k);
      const others = entries.map((x, j) => (j === i ? { ...x, question: rest[0]!, variants: rest.slice(1) } : x));
      const hits = createFaqBot({ entries: others, defaultLang: lang }).search(q, lang);
      queries += 1;
      if (hits[0]?.id === e.id) top1 += 1;
      if (hits.slice(0, 3).some((h) => h.id === e.id)) top3 += 1;
    });
  });
  return queries ? { queries, top1_accuracy: round(top1 / queries), top3_accuracy: round(top3 / queries) } : null;
}

export interface LearningPoint {
  /** Visitors' questions per entry that agents handled: added as phrasings, their labels fed to the site's calibration. */
  k: number;
  /** Cases measured (the same held-out cases at every k). */
  cases: number;
  /** Labels the site has (right / wrong / not covered), and whether its own threshold is fitted from them. */
  labels: number;
  fitted: boolean;
  /** The site's threshold: fitted by `siteCalibration` (the refit job's code), or the default. */
  threshold: number;
  in_scope_accuracy: number;
  oos_recall: number | null;
  answer_rate: number;
  right_when_answered: number;
  top1_accuracy: number;
  top3_accuracy: number;
  top5_accuracy: number;
  /** The same bot at the default threshold: what the phrasings alone do, without the labels. */
  phrasings_only: { in_scope_accuracy: number; oos_recall: number | null; answer_rate: number; right_when_answered: number };
}

/** A seeded shuffle (mulberry32), so the split is the same on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface LearningOptions {
  /** Labelled questions per entry at each point of the curve. */
  ks?: number[];
  /** Seed of the draw of the labelled questions. */
  seed?: number;
  /** The default threshold (before a site has enough labels). */
  threshold?: number;
  /** `siteCalibration`'s cost of a wrong answer against a right one (its default when not given). */
  wrongCost?: number | undefined;
  /** `siteCalibration`'s pseudo-labels for the default (its default when not given). */
  priorLabels?: number | undefined;
}

/**
 * How fast the bot improves with its agents' work, simulated as a live site runs it. Per entry, up
 * to max(ks) of the visitors' questions (a seeded draw; at least one of each entry's cases is left
 * to measure) are set aside as the questions agents handle, in rounds: round r holds each entry's
 * r-th question and its share of the out-of-scope ones (as many, relative to the in-scope
 * questions, as in the whole set). Each round is asked of the bot as it stood (the FAQ with the
 * earlier rounds' questions as phrasings, the site's threshold fitted from the earlier rounds'
 * labels) and produces the labels a site's visitors and agents give (`labelOf`). At each k the FAQ
 * holds the first k rounds' in-scope questions as phrasings, `siteCalibration` (the refit job's
 * code) fits the threshold from their labels, and every other case is measured: the same cases at
 * every k, so the points differ only in what was learnt.
 */
export function learningCurve(
  file: EvalFile,
  { ks = [0, 1, 2, 5], seed = 16, threshold = DEFAULT_THRESHOLD, wrongCost, priorLabels }: LearningOptions = {},
): LearningPoint[] {
  const lang = file.language ?? 'en';
  const most = Math.max(...ks);
  const perEntry = new Map<string, number>();
  for (const c of file.cases) if (c.expect !== null) perEntry.set(c.expect, (perEntry.get(c.expect) ?? 0) + 1);
  const rounds: EvalFile['cases'][] = Array.from({ length: most }, () => []);
  const heldOut: EvalFile['cases'] = [];
  const outOfScope: EvalFile['cases'] = [];
  const taken = new Map<string, number>();
  for (const c of shuffled(file.cases, seed)) {
    if (c.expect === null) {
      outOfScope.push(c);
      continue;
    }
    const n = taken.get(c.expect) ?? 0;
    if (n < Math.min(most, perEntry.get(c.expect)! - 1)) {
      rounds[n]!.push(c);
      taken.set(c.expect, n + 1);
    } else heldOut.push(c);
  }
  const inScope = file.cases.length - outOfScope.length;
  let next = 0;
  for (const round of [...rounds]) {
    const share = Math.round((outOfScope.length * round.length) / Math.max(1, inScope));
    round.push(...outOfScope.slice(next, next + share));
    next += share;
  }
  heldOut.push(...outOfScope.slice(next));
  const bots = new Map<number, FaqBot>();
  const botAt = (k: number): FaqBot => {
    let bot = bots.get(k);
    if (!bot) {
      const added = rounds.slice(0, k).flat();
      const faq = file.faq.map((f) => ({
        ...f,
        variants: [...(f.variants ?? []), ...added.filter((c) => c.expect === f.id).map((c) => c.text)],
      }));
      bot = createFaqBot({ entries: entriesOf({ ...file, faq }), defaultLang: lang });
      bots.set(k, bot);
    }
    return bot;
  };
  const fit = (labels: readonly SiteLabel[]) => siteCalibration(labels, 0, { defaultThreshold: threshold, wrongCost, priorLabels });
  // The labels, round by round, each from the bot and threshold of its time.
  const labels: SiteLabel[] = [];
  const labelsAfter = [0];
  rounds.forEach((round, r) => {
    const bot = botAt(r);
    const siteThreshold = fit(labels).current.threshold;
    for (const c of round) {
      const label = labelOf(bot.reply({ text: c.text, lang, state: initialBotState(), threshold: siteThreshold }), c);
      if (label) labels.push(label);
    }
    labelsAfter.push(labels.length);
  });
  return ks.map((k) => {
    const bot = botAt(k);
    const site = fit(labels.slice(0, labelsAfter[k]));
    const { answer_rate, right_when_answered, in_scope_accuracy, oos_recall, ...ranking } = measure(
      bot,
      heldOut,
      lang,
      site.current.threshold,
    );
    const alone = measure(bot, heldOut, lang, threshold);
    return {
      k,
      cases: heldOut.length,
      labels: site.labels,
      fitted: site.fitted,
      threshold: site.current.threshold,
      in_scope_accuracy,
      oos_recall,
      answer_rate,
      right_when_answered,
      ...ranking,
      phrasings_only: {
        in_scope_accuracy: alone.in_scope_accuracy,
        oos_recall: alone.oos_recall,
        answer_rate: alone.answer_rate,
        right_when_answered: alone.right_when_answered,
      },
    };
  });
}

/**
 * The label a site's people give a bot turn (docs/bot-learning.md): on an answer or an unsure
 * turn (whose entry is its first suggestion), "right" when that entry answers the question,
 * "wrong" when it does not, "not covered" when no entry does. Other turns (a greeting, a request
 * for a person) have nothing to judge.
 */
export function labelOf(turn: BotTurn, c: EvalFile['cases'][number]): SiteLabel | null {
  if (turn.kind !== 'answer' && turn.kind !== 'unsure') return null;
  const faqId = turn.faqId ?? turn.suggestions[0]?.id ?? null;
  const label = c.expect === null ? 'not_covered' : faqId === c.expect ? 'right' : 'wrong';
  return { question: c.text, faqId, confidence: turn.confidence, label };
}

/** The file's cases split in two (even and odd positions): a figure that holds on both halves generalises. */
export function halves(file: EvalFile, options: { threshold?: number } = {}): [EvalResult, EvalResult] {
  const half = (h: number) => evaluate({ ...file, cases: file.cases.filter((_, i) => i % 2 === h) }, options);
  return [half(0), half(1)];
}

/**
 * p99 reply latency with the file's FAQ grown to `size` entries (deterministic variations). The
 * machines are shared: each of `passes` passes over the cases gives a p99, and the lowest counts
 * (other processes only ever add time). The CPU time per question is given beside it.
 */
export function latencyAt(file: EvalFile, size = 1000, passes = 3): { p99_ms: number; p99_cpu_ms: number; load_ms: number } {
  const base = entriesOf(file);
  const entries: FaqEntry[] = [];
  const fillers = ['please', 'quickly', 'today', 'again', 'online', 'bitte', 'heute', 'schnell', 'wieder', 'jetzt'];
  for (let i = 0; entries.length < size; i++) {
    const e = base[i % base.length]!;
    const k = Math.floor(i / base.length);
    const vary = (s: string) => (k === 0 ? s : `${s} ${fillers[k % fillers.length]} ${k}`);
    entries.push({ ...e, id: `${e.id}-${k}`, question: vary(e.question), variants: e.variants.map(vary) });
  }
  const t0 = performance.now();
  const bot = createFaqBot({ entries, defaultLang: file.language ?? 'en' });
  const load = performance.now() - t0;
  let best = Infinity;
  let bestCpu = Infinity;
  for (let pass = 0; pass < passes; pass++) {
    const times: number[] = [];
    const cpu: number[] = [];
    for (const c of file.cases) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      bot.reply({ text: c.text, state: initialBotState() });
      times.push(performance.now() - w0);
      const used = process.cpuUsage(c0);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    best = Math.min(best, percentile(times, 0.99));
    bestCpu = Math.min(bestCpu, percentile(cpu, 0.99));
  }
  return { p99_ms: round(best), p99_cpu_ms: round(bestCpu), load_ms: Math.round(load) };
}

if (process.argv[1]?.endsWith('eval-cli.js')) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      threshold: { type: 'string' },
      latency: { type: 'boolean' },
      halves: { type: 'boolean' },
      self: { type: 'boolean' },
      learn: { type: 'boolean' },
      'wrong-cost': { type: 'string' },
      'prior-labels': { type: 'string' },
    },
  });
  if (!positionals.length) {
    console.error(
      'usage: npm run eval:bot -- FILE.json [--threshold 0.5] [--latency] [--halves] [--self] [--learn [--wrong-cost 0.6] [--prior-labels 50]]  |  FAQ.md / FAQ.yaml (self-check)',
    );
    process.exit(2);
  }
  for (const path of positionals) {
    if (/\.(md|ya?ml)$/i.test(path)) {
      const { entries, errors } = parseFaq(readFileSync(path, 'utf8'), { format: /\.md$/i.test(path) ? 'md' : 'yaml', file: path });
      if (errors.length) console.error(errors.map((e) => `${e.file ?? path}:${e.line}: ${e.message}`).join('\n'));
      const language = langFromFile(path) ?? entries[0]?.lang ?? 'en';
      const self = selfCheck({ name: path, language, faq: entries, cases: [] });
      console.log(`${path}: ${entries.length} FAQ entries (${language}), no visitor questions: self-check only`);
      console.log(
        self
          ? `  self-check (each phrasing against the FAQ without it, ${self.queries} questions): top-1 ${self.top1_accuracy}, top-3 ${self.top3_accuracy}`
          : '  self-check: n/a (no entry has several phrasings)',
      );
      console.log(JSON.stringify(self));
      continue;
    }
    const file = JSON.parse(readFileSync(path, 'utf8')) as EvalFile;
    const threshold = values.threshold === undefined ? DEFAULT_THRESHOLD : Number(values.threshold);
    const result: EvalResult = evaluate(file, { threshold });
    if (values.latency) {
      const at = latencyAt(file, 1000);
      result.p99_ms_1000 = at.p99_ms;
      result.p99_cpu_ms_1000 = at.p99_cpu_ms;
      result.load_ms_1000 = at.load_ms;
    }
    const inScope = file.cases.filter((c) => c.expect !== null).length;
    console.log(
      `${file.name ?? path}: ${file.faq.length} FAQ entries, ${file.cases.length} cases (${inScope} in scope), threshold ${threshold}`,
    );
    console.log(`  in-scope accuracy   ${result.in_scope_accuracy}`);
    console.log(`  out-of-scope recall ${result.oos_recall ?? 'n/a (no out-of-scope cases)'}`);
    console.log(`  top-1 / top-3 / top-5 ${result.top1_accuracy} / ${result.top3_accuracy} / ${result.top5_accuracy}`);
    console.log(
      `  latency p50 / p99   ${result.p50_ms} ms / ${result.p99_ms} ms${
        result.p99_ms_1000 !== undefined
          ? `; with 1,000 entries: p99 ${result.p99_ms_1000} ms (CPU ${result.p99_cpu_ms_1000} ms), load ${result.load_ms_1000} ms`
          : ''
      }`,
    );
    if (values.halves) {
      for (const [i, h] of halves(file, { threshold }).entries())
        console.log(
          `  half ${i + 1}: top-1 ${h.top1_accuracy}, top-3 ${h.top3_accuracy}, in-scope ${h.in_scope_accuracy}, out-of-scope ${h.oos_recall ?? 'n/a'}`,
        );
    }
    if (values.self) {
      const self = selfCheck(file);
      console.log(
        self
          ? `  self-check (each phrasing against the FAQ without it, ${self.queries} questions): top-1 ${self.top1_accuracy}, top-3 ${self.top3_accuracy}`
          : '  self-check: n/a (no entry has several phrasings)',
      );
    }
    if (values.learn) {
      const [cost, prior] = [values['wrong-cost'], values['prior-labels']];
      result.learning = learningCurve(file, {
        threshold,
        ...(cost === undefined ? {} : { wrongCost: Number(cost) }),
        ...(prior === undefined ? {} : { priorLabels: Number(prior) }),
      });
      console.log(
        `  learning (per entry, k visitors' questions handled by agents: added as phrasings, their labels fed to the site's calibration; the other ${result.learning[0]!.cases} cases measured):`,
      );
      for (const p of result.learning)
        console.log(
          `    k=${p.k}: ${p.labels} labels, threshold ${p.threshold}${p.fitted ? ' (fitted)' : ' (default)'}: in-scope ${p.in_scope_accuracy}, out-of-scope ${
            p.oos_recall ?? 'n/a'
          }, answers ${p.answer_rate} (right ${p.right_when_answered}); top-1 / top-3 / top-5 ${p.top1_accuracy} / ${p.top3_accuracy} / ${
            p.top5_accuracy
          }; phrasings alone: in-scope ${p.phrasings_only.in_scope_accuracy}, out-of-scope ${p.phrasings_only.oos_recall ?? 'n/a'}, answers ${
            p.phrasings_only.answer_rate
          } (right ${p.phrasings_only.right_when_answered})`,
        );
    }
    console.log(JSON.stringify(result));
  }
}
