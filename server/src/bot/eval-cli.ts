#!/usr/bin/env node
// `npm run eval:bot -- FILE.json [--threshold X] [--latency] [--halves] [--self] [--learn]`: loads the file's FAQ as a site's FAQ
// is loaded, sends every case as a visitor's first message through the bot, and prints in-scope
// accuracy, out-of-scope recall, top-1/top-3/top-5 (ignoring the threshold) and latency. Last line: JSON.
// `--learn` simulates agents adding visitors' questions as phrasings: the learning curve.
// A site's FAQ file (.md, .yaml) has no visitor questions: for it only the self-check runs.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createFaqBot, initialBotState, DEFAULT_THRESHOLD } from './bot.js';
import { langFromFile, parseFaq, type FaqEntry } from './faq.js';

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
  let inScope = 0;
  let inScopeRight = 0;
  let oos = 0;
  let oosRight = 0;
  let top1 = 0;
  let top3 = 0;
  let top5 = 0;
  const times: number[] = [];
  // One pass first, not timed: the first questions of a process pay for compiling the code and for
  // lazy look-ups (thesaurus, dictionary), which a running server pays once, not per question.
  for (const c of file.cases) bot.reply({ text: c.text, lang, state: initialBotState() });
  for (const c of file.cases) {
    const t0 = performance.now();
    const turn = bot.reply({ text: c.text, lang, state: initialBotState() });
    times.push(performance.now() - t0);
    const hits = bot.search(c.text, lang);
    const answered = turn.kind === 'answer' ? turn.faqId : undefined;
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
  times.sort((a, b) => a - b);
  return {
    in_scope_accuracy: round(inScopeRight / Math.max(1, inScope)),
    oos_recall: oos ? round(oosRight / oos) : null,
    top1_accuracy: round(top1 / Math.max(1, inScope)),
    top3_accuracy: round(top3 / Math.max(1, inScope)),
    top5_accuracy: round(top5 / Math.max(1, inScope)),
    p50_ms: round(percentile(times, 0.5)),
    p99_ms: round(percentile(times, 0.99)),
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
  /** Visitors' questions added per entry as phrasings. */
  k: number;
  /** Cases measured (the same held-out cases at every k). */
  cases: number;
  in_scope_accuracy: number;
  oos_recall: number | null;
  top1_accuracy: number;
  top3_accuracy: number;
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

/**
 * How fast the bot improves with its agents' work: per entry, up to max(ks) of the visitors'
 * questions (a seeded draw) are set aside as what agents would turn into phrasings; at each k the
 * first k of them join the entry's phrasings and every other case is measured. The held-out cases
 * are the same at every k, so the points differ only in what was learnt.
 */
export function learningCurve(file: EvalFile, { ks = [0, 1, 2, 5], seed = 16, threshold = DEFAULT_THRESHOLD } = {}): LearningPoint[] {
  const most = Math.max(...ks);
  const byEntry = new Map<string, string[]>();
  const heldOut: EvalFile['cases'] = [];
  for (const c of shuffled(file.cases, seed)) {
    const taken = c.expect === null ? undefined : (byEntry.get(c.expect) ?? []);
    if (taken && taken.length < most) {
      taken.push(c.text);
      byEntry.set(c.expect!, taken);
    } else heldOut.push(c);
  }
  return ks.map((k) => {
    const faq = file.faq.map((f) => ({ ...f, variants: [...(f.variants ?? []), ...(byEntry.get(f.id) ?? []).slice(0, k)] }));
    const r = evaluate({ ...file, faq, cases: heldOut }, { threshold });
    return {
      k,
      cases: heldOut.length,
      in_scope_accuracy: r.in_scope_accuracy,
      oos_recall: r.oos_recall,
      top1_accuracy: r.top1_accuracy,
      top3_accuracy: r.top3_accuracy,
    };
  });
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
    },
  });
  if (!positionals.length) {
    console.error(
      'usage: npm run eval:bot -- FILE.json [--threshold 0.5] [--latency] [--halves] [--self] [--learn]  |  FAQ.md / FAQ.yaml (self-check)',
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
      result.learning = learningCurve(file, { threshold });
      console.log(
        `  learning (k visitors' questions per entry added as phrasings; the other ${result.learning[0]!.cases} cases measured):`,
      );
      for (const p of result.learning)
        console.log(
          `    k=${p.k}: top-1 ${p.top1_accuracy}, top-3 ${p.top3_accuracy}, in-scope ${p.in_scope_accuracy}, out-of-scope ${p.oos_recall ?? 'n/a'}`,
        );
    }
    console.log(JSON.stringify(result));
  }
}
