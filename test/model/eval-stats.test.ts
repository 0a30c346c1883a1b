import { describe, expect, it } from 'vitest';
import type { ImageOutcome } from '../../src/eval/stats.js';
import { averagePrecision, imageLevel, iou, sweepThresholds, thresholdAtFalseAlarm, wilson } from '../../src/eval/stats.js';

describe('wilson', () => {
  it('matches the textbook 95 % interval of 5/10', () => {
    const p = wilson(5, 10);
    expect(p.rate).toBe(0.5);
    expect(p.ci95?.low).toBeCloseTo(0.2366, 4);
    expect(p.ci95?.high).toBeCloseTo(0.7634, 4);
  });
  it('has exact bounds at 0/n and n/n (upper bound of 0/n is z²/(n+z²))', () => {
    const z2 = 1.959963984540054 ** 2;
    expect(wilson(0, 10).ci95).toEqual({ low: 0, high: expect.closeTo(z2 / (10 + z2), 10) as unknown as number });
    const full = wilson(20, 20);
    expect(full.ci95?.high).toBe(1);
    expect(full.ci95?.low).toBeCloseTo(20 / (20 + z2), 10);
  });
  it('is asymmetric near 0 and stays inside [0, 1]', () => {
    const p = wilson(1, 143);
    expect(p.ci95!.low).toBeGreaterThan(0);
    expect(p.ci95!.high - p.rate!).toBeGreaterThan(p.rate! - p.ci95!.low);
    expect(p.ci95!.high).toBeCloseTo(0.0385, 3);
  });
  it('gives null rate for n = 0 and rejects k > n', () => {
    expect(wilson(0, 0)).toEqual({ k: 0, n: 0, rate: null, ci95: null });
    expect(() => wilson(3, 2)).toThrow(RangeError);
  });
});

describe('iou', () => {
  it('computes overlap of normalised boxes', () => {
    expect(iou([0, 0, 0.5, 0.5], [0, 0, 0.5, 0.5])).toBe(1);
    expect(iou([0, 0, 0.5, 0.5], [0.25, 0, 0.75, 0.5])).toBeCloseTo(1 / 3, 10);
    expect(iou([0, 0, 0.1, 0.1], [0.2, 0.2, 0.3, 0.3])).toBe(0);
  });
});

describe('averagePrecision', () => {
  const g1 = { classId: 0, box: [0.1, 0.1, 0.3, 0.3] as const };
  const g2 = { classId: 0, box: [0.5, 0.5, 0.9, 0.9] as const };
  it('counts duplicates and misplaced boxes as false positives (hand-computed AP = 0.75)', () => {
    const images = [
      { gt: [g1], pred: [{ classId: 0, score: 0.9, box: g1.box }, { classId: 0, score: 0.8, box: [0.11, 0.1, 0.3, 0.3] as const }] },
      {
        gt: [g2],
        pred: [
          { classId: 0, score: 0.7, box: [0.0, 0.0, 0.2, 0.2] as const },
          { classId: 0, score: 0.6, box: [0.52, 0.5, 0.9, 0.9] as const },
          { classId: 1, score: 0.99, box: g2.box }, // other class: ignored for class 0
        ],
      },
    ];
    const r = averagePrecision(images, 0);
    expect(r.gtCount).toBe(2);
    expect(r.predCount).toBe(4);
    expect(r.curve.map((p) => [p.recall, p.precision])).toEqual([[0.5, 1], [0.5, 0.5], [0.5, 1 / 3], [1, 0.5]]);
    expect(r.ap).toBeCloseTo(0.75, 10);
  });
  it('is 1 for perfect detections and 0 when every box misses', () => {
    expect(averagePrecision([{ gt: [g1, g2], pred: [{ classId: 0, score: 0.5, box: g2.box }, { classId: 0, score: 0.4, box: g1.box }] }], 0).ap).toBe(1);
    expect(averagePrecision([{ gt: [g1], pred: [{ classId: 0, score: 0.5, box: g2.box }] }], 0).ap).toBe(0);
  });
  it('matches at IoU exactly 0.5 and not below', () => {
    const gt = { classId: 0, box: [0, 0, 1, 0.5] as const };
    expect(averagePrecision([{ gt: [gt], pred: [{ classId: 0, score: 1, box: [0, 0, 1, 0.25] } ] }], 0).ap).toBe(1);
    expect(averagePrecision([{ gt: [gt], pred: [{ classId: 0, score: 1, box: [0, 0, 1, 0.24] } ] }], 0).ap).toBe(0);
  });
  it('returns null without ground truth of the class', () => {
    expect(averagePrecision([{ gt: [], pred: [{ classId: 0, score: 1, box: g1.box }] }], 0).ap).toBeNull();
  });
});

describe('imageLevel', () => {
  const im = (id: string, present: boolean[], maxScore: number[], hard = false): ImageOutcome => ({ id, dataset: 'd', present, hard, maxScore });
  const images = [
    im('fire1', [true, false], [0.9, 0.0]),
    im('fire2', [true, true], [0.4, 0.6]),
    im('smoke', [false, true], [0.0, 0.5]),
    im('neg1', [false, false], [0.5, 0.0]),
    im('neg2', [false, false], [0.0, 0.3], true),
    im('neg3', [false, false], [0.0, 0.0], true),
  ];
  it('counts a score equal to the threshold as detected (like the runtime)', () => {
    const r = imageLevel(images, 2, 0.5);
    expect([r.recall[0].k, r.recall[0].n]).toEqual([1, 2]);
    expect([r.recall[1].k, r.recall[1].n]).toEqual([2, 2]);
    expect([r.falseAlarm.k, r.falseAlarm.n]).toEqual([1, 3]);
    expect([r.hardFalseAlarm.k, r.hardFalseAlarm.n]).toEqual([0, 2]);
    // fire2 (0.4 fire, 0.6 smoke) counts for "any class" though its fire is missed
    expect([r.anyRecall.k, r.anyRecall.n]).toEqual([3, 3]);
    // fire detected in fire1 and neg1: precision 1/2; smoke in fire2 and smoke: 2/2
    expect([r.precision[0].k, r.precision[0].n]).toEqual([1, 2]);
    expect([r.classFalseAlarm[0].k, r.classFalseAlarm[0].n]).toEqual([1, 4]);
  });
  it('counts any class as a false alarm on images with neither', () => {
    const r = imageLevel(images, 2, 0.3);
    expect([r.falseAlarm.k, r.hardFalseAlarm.k]).toEqual([2, 1]);
    expect(r.recall[0].k).toBe(2);
  });
  it('sweeps 0.05 … 0.95 plus the operating threshold, sorted', () => {
    const t = sweepThresholds(0.37);
    expect(t[0]).toBe(0.05);
    expect(t).toContain(0.37);
    expect(t.length).toBe(20);
    expect([...t].sort((a, b) => a - b)).toEqual(t);
    expect(sweepThresholds(0.5).length).toBe(19);
  });
});

describe('thresholdAtFalseAlarm', () => {
  const out = (id: string, present: boolean[], maxScore: number[]): ImageOutcome => ({ id, dataset: 'd', present, hard: false, maxScore });
  // 10 negatives whose best score (over both classes) is 0.9, 0.8, …, 0.0; one positive scoring 1.
  const negs = Array.from({ length: 10 }, (_, i) => out(`n${i}`, [false, false], i % 2 ? [0, 0.9 - i / 10] : [0.9 - i / 10, 0.1]));
  const images = [...negs, out('p', [true, false], [1, 0])];
  it('lets exactly floor(rate x n) negatives reach it, by their best class', () => {
    // 20 % of 10 = 2 negatives may alarm (0.9 and 0.8): the threshold sits just above 0.7.
    const t = thresholdAtFalseAlarm(images, 0.2, 0.05)!;
    expect(t).toBeGreaterThan(0.7);
    expect(t).toBeLessThan(0.7001);
    expect(imageLevel(images, 2, t).falseAlarm).toMatchObject({ k: 2, n: 10 });
    // 2 % of 10 rounds down to none: above the best negative.
    const strict = thresholdAtFalseAlarm(images, 0.02, 0.05)!;
    expect(imageLevel(images, 2, strict).falseAlarm.k).toBe(0);
    expect(strict).toBeGreaterThan(0.9);
  });
  it('never goes below the score floor and is null without negatives', () => {
    expect(thresholdAtFalseAlarm(images, 0.95, 0.05)).toBe(0.05); // the 10th negative scores 0.0
    expect(thresholdAtFalseAlarm(images, 1, 0.3)).toBe(0.3);
    expect(thresholdAtFalseAlarm([out('p', [true, false], [1, 0])], 0.02, 0.05)).toBeNull();
  });
});
