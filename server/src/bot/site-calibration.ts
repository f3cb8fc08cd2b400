// A site's own threshold, fitted from the labels its live traffic produces (issue 16, point 2). Pure
// functions: the caller stores the labels and passes them in; nothing here reads storage or HTTP.
//
// Input: one `SiteLabel` per bot turn a person judged:
//   - question: the visitor's text; faqId: the entry the bot answered with, or the top suggestion
//     when it was unsure (null when nothing matched);
//   - confidence: the top entry's confidence at the time (BotTurn.confidence);
//   - label: 'right' (the visitor said yes, or an agent marked the answer right), 'wrong' (a "no",
//     or an agent marked it wrong, or an agent answered with another entry), 'not_covered' (the FAQ
//     has no answer to it: the bot should hand over).
// Output (`siteCalibration`): the threshold to use (the default until MIN_LABELS labels; from then
// on the one that does the most good by the labels, held towards the default: `fitThreshold`), and in
// plain figures the answer rate, right-when-answered rate and handover rate at that threshold and
// along one control, `bias` in [-1, 1]: -1 "hand over sooner" … 0 as fitted … 1 "answer more".
import { DEFAULT_THRESHOLD } from './bot.js';

export type LabelKind = 'right' | 'wrong' | 'not_covered';

export interface SiteLabel {
  question: string;
  faqId: string | null;
  confidence: number;
  label: LabelKind;
}

export interface SiteFigures {
  threshold: number;
  /** Share of labelled questions the bot would answer. */
  answerRate: number;
  /** Share of those answers that are right. */
  rightWhenAnswered: number;
  /** Share it would hand over (or offer suggestions and a person): 1 − answerRate. */
  handoverRate: number;
}

export interface SiteCalibrationOptions {
  /** Labels needed before the site's own threshold replaces the default (default 50). */
  minLabels?: number;
  /** What a wrong answer costs against a right one's +1, a handover being 0 (default WRONG_COST). */
  wrongCost?: number | undefined;
  /** Pseudo-labels holding the threshold at the default (default PRIOR_LABELS). */
  priorLabels?: number | undefined;
  /** The threshold used until there are enough labels (default: the bot's). */
  defaultThreshold?: number;
  /** Points of the control curve (default 9: bias -1, -0.75, …, 1). */
  curvePoints?: number;
}

export interface SiteCalibration {
  /** Whether the threshold was fitted from this site's labels (else it is the default). */
  fitted: boolean;
  labels: number;
  /** The threshold at bias 0 (fitted, or the default). */
  threshold: number;
  /** The figures at `bias` (the current setting). */
  current: SiteFigures;
  /** The figures along the control, from "hand over sooner" (-1) to "answer more" (1). */
  curve: (SiteFigures & { bias: number })[];
}

export const MIN_LABELS = 50;

/** What the bot would do with these labels at a threshold. */
export function figuresAt(labels: readonly SiteLabel[], threshold: number): SiteFigures {
  let answered = 0;
  let right = 0;
  for (const l of labels) {
    if (l.faqId === null || l.confidence < threshold) continue;
    answered++;
    if (l.label === 'right') right++;
  }
  const n = Math.max(1, labels.length);
  return {
    threshold: round(threshold),
    answerRate: round(answered / n),
    rightWhenAnswered: answered ? round(right / answered) : 1,
    handoverRate: round(1 - answered / n),
  };
}

/**
 * What a wrong answer (answered, but 'wrong' or 'not_covered') costs against a right answer's +1; a
 * handover costs nothing. Answering pays where an answer is right with probability above
 * c / (1 + c): 5/9, about 56 %. Chosen as what the default threshold stands for: on the dev sets'
 * simulated labels (`--learn`, k = 5, no pseudo-labels) the default is the utility optimum at c ≈ 1
 * on banking77 and c ≈ 1.5 on clinc150; 1.25 lies between (docs/bot-eval.md). Not tuned per set.
 */
export const WRONG_COST = 1.25;
/**
 * Pseudo-labels for the default: twice the labels needed to fit at all, so that the first 50 to
 * 100 noisy labels move the threshold only where they show a clear gain.
 */
export const PRIOR_LABELS = 2 * 50;

export interface FitOptions {
  wrongCost?: number | undefined;
  defaultThreshold?: number | undefined;
  priorLabels?: number | undefined;
}

/**
 * The site's threshold: of the cuts between two observed confidences (so that no label's own
 * confidence sits on the edge), the one with the most utility, where each judged answer the bot
 * would give counts +1 if right and −wrongCost if not, and a handover 0. The default takes part
 * as `priorLabels` pseudo-labels spread evenly over the scale, right with probability
 * p(x) = x · b / d, where b = c / (1 + c) is the break-even and d the default: the default's own
 * claim, whose optimum is d. Their utility falls by priorLabels · c · (t − d)² / (2d) away from d,
 * so few labels move the threshold little, and many move it as far as they show it pays. Without
 * labels on either side of the default the default stays. Labels at confidence 1 are always
 * answered (no threshold lies above 1): a site cannot hand over what the bot is surest of.
 */
export function fitThreshold(
  labels: readonly SiteLabel[],
  { wrongCost = WRONG_COST, defaultThreshold = DEFAULT_THRESHOLD, priorLabels = PRIOR_LABELS }: FitOptions = {},
): number {
  const d = Math.min(1, Math.max(0.01, defaultThreshold));
  const answerable = labels.filter((l) => l.faqId !== null).sort((a, b) => b.confidence - a.confidence);
  const prior = (t: number) => (-priorLabels * wrongCost * (t - d) ** 2) / (2 * d);
  // Cuts from the top down; `gain` is the labels' utility of answering everything above the cut.
  const cuts: { t: number; gain: number }[] = [];
  const top = answerable[0]?.confidence ?? 1;
  if (top < 1) cuts.push({ t: (top + 1) / 2, gain: 0 });
  if (d > top) cuts.push({ t: d, gain: 0 });
  let gain = 0;
  for (let i = 0; i < answerable.length; i++) {
    const l = answerable[i]!;
    gain += l.label === 'right' ? 1 : -wrongCost;
    const next = answerable[i + 1]?.confidence ?? 0;
    if (next === l.confidence) continue;
    cuts.push({ t: (l.confidence + next) / 2, gain });
    // The default itself, where it lies strictly inside this gap.
    if (d < l.confidence && d > next) cuts.push({ t: d, gain });
  }
  if (!answerable.length) return defaultThreshold;
  let best = { t: defaultThreshold, value: -Infinity };
  for (const c of cuts) {
    const value = c.gain + prior(c.t);
    if (value > best.value) best = { t: c.t, value };
  }
  return best.t;
}

/** The threshold at a bias: -1 moves it halfway up to 1 (hand over sooner), 1 halfway down to 0. */
export function thresholdAt(base: number, bias: number): number {
  const b = Math.max(-1, Math.min(1, bias));
  return b >= 0 ? base - (b * base) / 2 : base + (-b * (1 - base)) / 2;
}

export function siteCalibration(
  labels: readonly SiteLabel[],
  bias = 0,
  { minLabels = MIN_LABELS, wrongCost, priorLabels, defaultThreshold = DEFAULT_THRESHOLD, curvePoints = 9 }: SiteCalibrationOptions = {},
): SiteCalibration {
  const fitted = labels.length >= minLabels;
  const threshold = fitted ? fitThreshold(labels, { wrongCost, priorLabels, defaultThreshold }) : defaultThreshold;
  const curve = Array.from({ length: curvePoints }, (_, i) => {
    const b = curvePoints === 1 ? 0 : -1 + (2 * i) / (curvePoints - 1);
    return { bias: round(b), ...figuresAt(labels, thresholdAt(threshold, b)) };
  });
  return { fitted, labels: labels.length, threshold: round(threshold), current: figuresAt(labels, thresholdAt(threshold, bias)), curve };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
