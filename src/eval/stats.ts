/**
 * The statistics of the eval tool (issue 6): Wilson score intervals for image-level rates, box-level
 * AP at IoU 0.5, and the image-level threshold sweep. Pure: no I/O, no clock.
 */

import { boxIou } from '../core/box-iou.js';

/** Normalised x1, y1, x2, y2 (x1 < x2, y1 < y2). */
export type Box = readonly [number, number, number, number];

/** A closed interval. */
export interface Interval {
  low: number;
  high: number;
}

/** A proportion k/n with its 95 % Wilson interval; `rate` and `ci95` are null when n = 0. */
export interface Proportion {
  k: number;
  n: number;
  rate: number | null;
  ci95: Interval | null;
}

/** z of a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * k successes out of n with the Wilson score interval. Chosen over the normal approximation because
 * the interesting rates sit near 0 (false alarms) or 1 (recall), where that one leaves [0, 1].
 */
export function wilson(k: number, n: number, z: number = Z95): Proportion {
  if (!(n > 0)) return { k, n, rate: null, ci95: null };
  if (k < 0 || k > n) throw new RangeError(`wilson: k=${k} outside [0, n=${n}]`);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamp rounding noise: at k = 0 the lower bound is exactly 0, at k = n the upper one exactly 1.
  return { k, n, rate: p, ci95: { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) } };
}

/** Intersection over union of two boxes; 0 for degenerate ones. */
export const iou: (a: Box, b: Box) => number = boxIou;

/** A ground-truth box of one class. */
export interface GtBox {
  classId: number;
  box: Box;
}

/** A predicted box. */
export interface PredBox {
  classId: number;
  score: number;
  box: Box;
}

/** One point of a precision/recall curve, at the score of the prediction that produced it. */
export interface PrPoint {
  score: number;
  recall: number;
  precision: number;
}

/** AP of one class and the curve it was computed from. */
export interface ApResult {
  /** Null when the class has no ground-truth boxes. */
  ap: number | null;
  gtCount: number;
  predCount: number;
  curve: PrPoint[];
}

/**
 * Average precision of one class over images (PASCAL VOC 2010+ / COCO style, all-point
 * interpolation): predictions sorted by score across all images are matched greedily to the
 * unmatched ground-truth box of highest IoU ≥ `iouThreshold` in their image; a second prediction on
 * an already matched box is a false positive. AP is the area under the precision envelope.
 */
export function averagePrecision(images: ReadonlyArray<{ gt: readonly GtBox[]; pred: readonly PredBox[] }>, classId: number, iouThreshold = 0.5): ApResult {
  const preds: Array<{ img: number; p: PredBox }> = [];
  let gtCount = 0;
  images.forEach((im, img) => {
    for (const g of im.gt) if (g.classId === classId) gtCount++;
    for (const p of im.pred) if (p.classId === classId) preds.push({ img, p });
  });
  // Stable order for equal scores (image order): the result must not depend on sort internals.
  preds.sort((a, b) => b.p.score - a.p.score || a.img - b.img);
  const matched = images.map((im) => new Array<boolean>(im.gt.length).fill(false));
  const curve: PrPoint[] = [];
  let tp = 0;
  let fp = 0;
  for (const { img, p } of preds) {
    let best = -1;
    let bestIou = iouThreshold;
    images[img].gt.forEach((g, j) => {
      if (g.classId !== classId || matched[img][j]) return;
      const v = iou(g.box, p.box);
      if (v >= bestIou) {
        bestIou = v;
        best = j;
      }
    });
    if (best >= 0) {
      matched[img][best] = true;
      tp++;
    } else fp++;
    curve.push({ score: p.score, recall: gtCount ? tp / gtCount : 0, precision: tp / (tp + fp) });
  }
  if (gtCount === 0) return { ap: null, gtCount, predCount: preds.length, curve };
  // Precision envelope: best precision at any recall ≥ r, then the area under the step function.
  const env = curve.map((c) => c.precision);
  for (let i = env.length - 2; i >= 0; i--) env[i] = Math.max(env[i], env[i + 1]);
  let ap = 0;
  let prevRecall = 0;
  curve.forEach((c, i) => {
    ap += (c.recall - prevRecall) * env[i];
    prevRecall = c.recall;
  });
  return { ap, gtCount, predCount: preds.length, curve };
}

/** What the eval knows of one image: which classes are present and its best score per class. */
export interface ImageOutcome {
  id: string;
  /** Name of the dataset (folder) the image belongs to. */
  dataset: string;
  /** Per evaluated class: is it present in the image (from boxes or image-level labels)? */
  present: boolean[];
  /** `hard` negatives of the photos/ labels (sunsets, red clothing, lamps …). */
  hard: boolean;
  /** Per evaluated class: highest score of a detection of that class, 0 when none. */
  maxScore: number[];
}

/** Image-level figures at one threshold. */
export interface ImageLevel {
  threshold: number;
  /** Per class: images with the class in which it was detected. */
  recall: Proportion[];
  /** Per class: images without the class in which it was detected. */
  classFalseAlarm: Proportion[];
  /** Images with none of the classes in which any class was detected (docs/detector.md targets). */
  falseAlarm: Proportion;
  /** Same, restricted to hard negatives. */
  hardFalseAlarm: Proportion;
  /**
   * Images with at least one class in which any class was detected: what consensus sees, since it
   * counts fire and smoke alike (a fire reported only as smoke still raises the alarm).
   */
  anyRecall: Proportion;
  /** Per class: of the images where the class was detected, the share that has it. */
  precision: Proportion[];
}

/** Image-level recall and false alarms at `threshold` (a score equal to it counts, like the runtime). */
export function imageLevel(images: readonly ImageOutcome[], classCount: number, threshold: number): ImageLevel {
  const recall: Proportion[] = [];
  const classFalseAlarm: Proportion[] = [];
  const precision: Proportion[] = [];
  for (let c = 0; c < classCount; c++) {
    let pos = 0;
    let hit = 0;
    let neg = 0;
    let fa = 0;
    for (const im of images) {
      const det = im.maxScore[c] >= threshold;
      if (im.present[c]) {
        pos++;
        if (det) hit++;
      } else {
        neg++;
        if (det) fa++;
      }
    }
    recall.push(wilson(hit, pos));
    classFalseAlarm.push(wilson(fa, neg));
    precision.push(wilson(hit, hit + fa));
  }
  let neg = 0;
  let fa = 0;
  let hardN = 0;
  let hardFa = 0;
  let posAny = 0;
  let hitAny = 0;
  for (const im of images) {
    const any = im.maxScore.some((s) => s >= threshold);
    if (im.present.some(Boolean)) {
      posAny++;
      if (any) hitAny++;
      continue;
    }
    neg++;
    if (any) fa++;
    if (im.hard) {
      hardN++;
      if (any) hardFa++;
    }
  }
  return { threshold, recall, classFalseAlarm, falseAlarm: wilson(fa, neg), hardFalseAlarm: wilson(hardFa, hardN), precision, anyRecall: wilson(hitAny, posAny) };
}

/** Thresholds of the sweep: 0.05, 0.10 … 0.95 plus the operating one, sorted, without duplicates. */
export function sweepThresholds(operating: number, step = 0.05): number[] {
  const set = new Set<number>();
  for (let t = step; t < 1 - 1e-9; t += step) set.add(Math.round(t * 1000) / 1000);
  set.add(operating);
  return [...set].sort((a, b) => a - b);
}

/** The image-level figures at every threshold of {@link sweepThresholds}. */
export function sweep(images: readonly ImageOutcome[], classCount: number, operating: number): ImageLevel[] {
  return sweepThresholds(operating).map((t) => imageLevel(images, classCount, t));
}

/**
 * The lowest threshold at which at most `rate` of the images with none of the classes show a
 * detection of any class (issue 13: recall "at 2 % false alarms" on the pooled negatives of all
 * the given datasets). At most floor(rate × n) negatives may reach it: it sits just above the
 * best score of the next negative, and never below `floor` (scores under the floor were not
 * collected). Null when there are no negatives.
 */
export function thresholdAtFalseAlarm(images: readonly ImageOutcome[], rate: number, floor: number): number | null {
  const neg = images.filter((im) => !im.present.some(Boolean)).map((im) => Math.max(0, ...im.maxScore));
  if (neg.length === 0) return null;
  neg.sort((a, b) => b - a);
  const allowed = Math.floor(rate * neg.length + 1e-9);
  if (allowed >= neg.length) return floor;
  // The (allowed+1)-th highest negative must stay below the threshold (a score equal to it counts).
  const next = neg[allowed];
  const above = next + Math.max(1e-6, Math.abs(next) * 1e-9);
  return Math.min(1, Math.max(floor, above));
}
