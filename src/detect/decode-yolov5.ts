/**
 * Decoder of the YOLOv5 output `[1, A, 5 + C]` (docs/detector.md "Model format"): per anchor cx, cy, w, h
 * in input pixels, objectness, then C class probabilities; the score is objectness × class
 * probability, as in YOLOv5's own NMS.
 */
import type { Candidates } from './candidates.js';

/** Writes every anchor whose best objectness × class score is ≥ `threshold` (inclusive) into `out`. */
export function decodeYolov5(data: Float32Array, classes: number, anchors: number, threshold: number, out: Candidates): void {
  out.count = 0;
  const stride = 5 + classes;
  for (let a = 0; a < anchors; a++) {
    const o = a * stride;
    const obj = data[o + 4];
    // Cheap early exit: no class can score above the objectness.
    if (!(obj >= threshold)) continue;
    let best = -1;
    let score = -Infinity;
    for (let c = 0; c < classes; c++) {
      const s = obj * data[o + 5 + c];
      if (s > score) {
        score = s;
        best = c;
      }
    }
    if (!(score >= threshold)) continue;
    const hw = data[o + 2] / 2;
    const hh = data[o + 3] / 2;
    out.push(data[o] - hw, data[o + 1] - hh, data[o] + hw, data[o + 1] + hh, score, best);
  }
}
