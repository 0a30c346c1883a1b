/**
 * Decoder of the Ultralytics YOLOv8/YOLO11 output `[1, 4 + C, A]` (docs/detector.md "Model format"):
 * per anchor cx, cy, w, h in input pixels, then C class scores already in [0, 1]. Channel-major, so
 * channel k of anchor a is at `k * A + a`.
 */
import type { Candidates } from './candidates.js';

/**
 * Writes every anchor whose best class score is ≥ `threshold` (inclusive) into `out`.
 * @param classes C, the number of classes (channels − 4)
 */
export function decodeYolov8(data: Float32Array, classes: number, anchors: number, threshold: number, out: Candidates): void {
  out.count = 0;
  for (let a = 0; a < anchors; a++) {
    let best = -1;
    let score = -Infinity;
    for (let c = 0; c < classes; c++) {
      const s = data[(4 + c) * anchors + a];
      // Strict `>` keeps the lowest class id on ties: deterministic.
      if (s > score) {
        score = s;
        best = c;
      }
    }
    if (!(score >= threshold)) continue; // also rejects NaN
    const cx = data[a];
    const cy = data[anchors + a];
    const hw = data[2 * anchors + a] / 2;
    const hh = data[3 * anchors + a] / 2;
    out.push(cx - hw, cy - hh, cx + hw, cy + hh, score, best);
  }
}
