import { describe, expect, it } from 'vitest';
import { MIN_LABELS, WRONG_COST, figuresAt, fitThreshold, siteCalibration, thresholdAt, type SiteLabel } from './site-calibration.js';

/** Labels whose answers are right above `edge` and mostly wrong below it (as a site would see). */
function labels(n: number, edge: number): SiteLabel[] {
  const out: SiteLabel[] = [];
  for (let i = 0; i < n; i++) {
    const confidence = (i + 0.5) / n;
    const label = confidence >= edge ? 'right' : i % 5 === 0 ? 'right' : i % 5 === 1 ? 'not_covered' : 'wrong';
    out.push({ question: `q${i}`, faqId: label === 'not_covered' && i % 10 === 1 ? null : 'e', confidence, label });
  }
  return out;
}

describe('per-site calibration from labelled outcomes', () => {
  it('keeps the default threshold until there are enough labels', () => {
    const c = siteCalibration(labels(MIN_LABELS - 1, 0.5));
    expect(c.fitted).toBe(false);
    expect(c.threshold).toBe(0.5);
  });

  it("fits the site's own threshold from 50 labels where answering pays: below the default where the answers are right", () => {
    const site = labels(100, 0.3);
    const c = siteCalibration(site);
    expect(c.fitted).toBe(true);
    expect(c.threshold).toBeLessThan(0.5);
    expect(c.threshold).toBeGreaterThan(0.2);
    expect(c.current.answerRate).toBeGreaterThan(figuresAt(site, 0.5).answerRate);
    expect(c.current.rightWhenAnswered).toBeGreaterThan(WRONG_COST / (1 + WRONG_COST));
    expect(c.current.answerRate + c.current.handoverRate).toBeCloseTo(1, 9);
  });

  it('moves the threshold with one control: "answer more" answers more, "hand over sooner" hands over more', () => {
    const site = labels(100, 0.5);
    const c = siteCalibration(site);
    expect(c.curve.map((p) => p.bias)).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
    for (let i = 1; i < c.curve.length; i++) {
      expect(c.curve[i]!.threshold).toBeLessThanOrEqual(c.curve[i - 1]!.threshold);
      expect(c.curve[i]!.answerRate).toBeGreaterThanOrEqual(c.curve[i - 1]!.answerRate);
    }
    expect(siteCalibration(site, 1).current.answerRate).toBeGreaterThan(c.current.answerRate);
    expect(siteCalibration(site, -1).current.handoverRate).toBeGreaterThan(c.current.handoverRate);
    expect(thresholdAt(0.4, 0)).toBe(0.4);
    expect(thresholdAt(0.4, 1)).toBeCloseTo(0.2, 9);
    expect(thresholdAt(0.4, -1)).toBeCloseTo(0.7, 9);
  });

  it('does not stop answering when no threshold reaches a high share of right answers', () => {
    // Right 60 % of the time at every confidence: answering pays (break-even 5/9), nowhere 80 %.
    const mixed: SiteLabel[] = Array.from({ length: 200 }, (_, i) => ({
      question: `q${i}`,
      faqId: 'e',
      confidence: (i + 0.5) / 200,
      label: i % 5 < 3 ? 'right' : 'wrong',
    }));
    const c = siteCalibration(mixed);
    expect(c.threshold).toBeLessThanOrEqual(0.5);
    expect(c.current.answerRate).toBeGreaterThanOrEqual(figuresAt(mixed, 0.5).answerRate);
  });

  it('stays near the default with few noisy labels', () => {
    // 50 labels right or wrong at random (seeded), 60 % right: no evidence either way.
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let run = 0; run < 20; run++) {
      const noisy: SiteLabel[] = Array.from({ length: MIN_LABELS }, (_, i) => ({
        question: `q${i}`,
        faqId: 'e',
        confidence: random(),
        label: random() < 0.6 ? 'right' : 'wrong',
      }));
      expect(Math.abs(fitThreshold(noisy) - 0.5)).toBeLessThan(0.25);
    }
  });

  it('hands over what is judged wrong, but never above confidence 1', () => {
    const allWrong = (n: number): SiteLabel[] =>
      Array.from({ length: n }, (_, i) => ({ question: `q${i}`, faqId: 'e', confidence: i / n, label: 'wrong' }));
    // 60 labels move it well up (the pseudo-labels hold it back); 600 above everything judged.
    expect(fitThreshold(allWrong(60))).toBeGreaterThan(0.7);
    expect(fitThreshold(allWrong(600))).toBeGreaterThan(599 / 600);
    expect(siteCalibration(allWrong(600)).current.answerRate).toBe(0);
    // Ties at 1: no cut lies above them, so they stay answered; the wrong ones below are handed over.
    const surest: SiteLabel[] = Array.from({ length: 60 }, (_, i) => ({
      question: `q${i}`,
      faqId: 'e',
      confidence: i < 30 ? 1 : 0.7,
      label: i < 30 ? 'right' : 'wrong',
    }));
    const t = fitThreshold(surest);
    expect(t).toBeGreaterThan(0.7);
    expect(t).toBeLessThanOrEqual(1);
    expect(figuresAt(surest, t)).toMatchObject({ answerRate: 0.5, rightWhenAnswered: 1 });
  });
});
