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
// Output (`siteCalibration`): the threshold to use (the default until MIN_LABELS labels), and in
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
  /** Share of answers that must be right at the fitted point (default 0.8). */
  targetPrecision?: number;
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
 * The lowest threshold whose answers are right at least `targetPrecision` of the time (a threshold
 * between two observed confidences, so that a label's own confidence never sits on the edge). With
 * no such point, the highest confidence seen: answer only what is surer than anything judged.
 */
export function fitThreshold(labels: readonly SiteLabel[], targetPrecision: number): number {
  const answerable = labels.filter((l) => l.faqId !== null).sort((a, b) => b.confidence - a.confidence);
  let right = 0;
  let best = answerable.length ? Math.min(1, answerable[0]!.confidence + 1e-6) : DEFAULT_THRESHOLD;
  for (let i = 0; i < answerable.length; i++) {
    if (answerable[i]!.label === 'right') right++;
    const next = answerable[i + 1]?.confidence ?? 0;
    // Only cut between different confidences.
    if (next === answerable[i]!.confidence) continue;
    if (right / (i + 1) >= targetPrecision) best = (answerable[i]!.confidence + next) / 2;
  }
  return best;
}

/** The threshold at a bias: -1 moves it halfway up to 1 (hand over sooner), 1 halfway down to 0. */
export function thresholdAt(base: number, bias: number): number {
  const b = Math.max(-1, Math.min(1, bias));
  return b >= 0 ? base - (b * base) / 2 : base + (-b * (1 - base)) / 2;
}

export function siteCalibration(
  labels: readonly SiteLabel[],
  bias = 0,
  { minLabels = MIN_LABELS, targetPrecision = 0.8, defaultThreshold = DEFAULT_THRESHOLD, curvePoints = 9 }: SiteCalibrationOptions = {},
): SiteCalibration {
  const fitted = labels.length >= minLabels;
  const threshold = fitted ? fitThreshold(labels, targetPrecision) : defaultThreshold;
  const curve = Array.from({ length: curvePoints }, (_, i) => {
    const b = curvePoints === 1 ? 0 : -1 + (2 * i) / (curvePoints - 1);
    return { bias: round(b), ...figuresAt(labels, thresholdAt(threshold, b)) };
  });
  return { fitted, labels: labels.length, threshold: round(threshold), current: figuresAt(labels, thresholdAt(threshold, bias)), curve };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
