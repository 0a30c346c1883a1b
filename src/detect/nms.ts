/**
 * Per-class greedy non-maximum suppression over preallocated {@link Candidates} (docs/detector.md "The hot
 * path"): boxes of the same class overlapping a higher-scored kept box by IoU > threshold are
 * dropped; boxes of different classes never suppress each other (smoke over fire is normal).
 * Works in preallocated index arrays: no allocation per frame.
 */
import type { Candidates } from './candidates.js';

/** Intersection over union of two x1,y1,x2,y2 boxes stored at offsets `a` and `b` of `boxes`. */
export function iouAt(boxes: Float32Array, a: number, b: number): number {
  const ix1 = Math.max(boxes[a], boxes[b]);
  const iy1 = Math.max(boxes[a + 1], boxes[b + 1]);
  const ix2 = Math.min(boxes[a + 2], boxes[b + 2]);
  const iy2 = Math.min(boxes[a + 3], boxes[b + 3]);
  const iw = ix2 - ix1;
  const ih = iy2 - iy1;
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const areaA = (boxes[a + 2] - boxes[a]) * (boxes[a + 3] - boxes[a + 1]);
  const areaB = (boxes[b + 2] - boxes[b]) * (boxes[b + 3] - boxes[b + 1]);
  const union = areaA + areaB - inter;
  return union > 0 ? inter / union : 0;
}

/** Reusable NMS working memory sized for a candidate capacity. */
export class Nms {
  private readonly order: Int32Array;
  private readonly suppressed: Uint8Array;
  /** Indices into the candidates of the kept boxes, best first; valid up to the returned count. */
  readonly keep: Int32Array;

  constructor(capacity: number) {
    this.order = new Int32Array(capacity);
    this.suppressed = new Uint8Array(capacity);
    this.keep = new Int32Array(capacity);
  }

  /**
   * Runs NMS (or, with `suppress` false, only sorts) and returns how many entries of {@link keep}
   * are valid, at most `maxDetections`.
   */
  run(c: Candidates, iouThreshold: number, maxDetections: number, suppress = true): number {
    const n = c.count;
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    heapSortByScore(order, n, c.scores);
    this.suppressed.fill(0, 0, n);
    let kept = 0;
    for (let oi = 0; oi < n && kept < maxDetections; oi++) {
      const i = order[oi];
      if (this.suppressed[oi]) continue;
      this.keep[kept++] = i;
      if (!suppress) continue;
      const cls = c.classes[i];
      for (let oj = oi + 1; oj < n; oj++) {
        if (this.suppressed[oj]) continue;
        const j = order[oj];
        if (c.classes[j] === cls && iouAt(c.boxes, i * 4, j * 4) > iouThreshold) this.suppressed[oj] = 1;
      }
    }
    return kept;
  }
}

/** True when candidate `a` ranks before `b`: higher score first, lower index on ties (deterministic). */
function before(scores: Float32Array, a: number, b: number): boolean {
  return scores[a] > scores[b] || (scores[a] === scores[b] && a < b);
}

/** Restores the heap property below `root` (the root of a heap is its WORST element). */
function sift(idx: Int32Array, scores: Float32Array, start: number, end: number): void {
  let root = start;
  for (;;) {
    let child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end && before(scores, idx[child], idx[child + 1])) child++;
    if (!before(scores, idx[root], idx[child])) return;
    const t = idx[root];
    idx[root] = idx[child];
    idx[child] = t;
    root = child;
  }
}

/** In-place heap sort of `idx[0..n)` into ranking order (best first), without allocation. */
function heapSortByScore(idx: Int32Array, n: number, scores: Float32Array): void {
  for (let s = (n >> 1) - 1; s >= 0; s--) sift(idx, scores, s, n);
  for (let end = n - 1; end > 0; end--) {
    // Move the worst remaining element to the end.
    const t = idx[0];
    idx[0] = idx[end];
    idx[end] = t;
    sift(idx, scores, 0, end);
  }
}
