import { describe, expect, it } from 'vitest';
import { MIN_LABELS, figuresAt, fitThreshold, siteCalibration, thresholdAt, type SiteLabel } from './site-calibration.js';

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

  it("fits the site's own threshold from 50 labels: the lowest at which answers are right 80 % of the time", () => {
    const site = labels(100, 0.5);
    const c = siteCalibration(site);
    expect(c.fitted).toBe(true);
    expect(c.threshold).toBeLessThan(0.5);
    expect(c.threshold).toBeGreaterThan(0.25);
    expect(c.current.rightWhenAnswered).toBeGreaterThanOrEqual(0.8);
    // Just below it, precision falls under the target.
    expect(figuresAt(site, c.threshold - 0.05).rightWhenAnswered).toBeLessThan(0.8);
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

  it('answers only above everything judged when no threshold reaches the target', () => {
    const allWrong: SiteLabel[] = Array.from({ length: 60 }, (_, i) => ({
      question: `q${i}`,
      faqId: 'e',
      confidence: i / 60,
      label: 'wrong',
    }));
    expect(fitThreshold(allWrong, 0.8)).toBeGreaterThan(59 / 60);
    expect(siteCalibration(allWrong).current.answerRate).toBe(0);
  });
});
