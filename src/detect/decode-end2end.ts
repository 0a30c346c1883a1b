/**
 * Decoder of the NMS-free "end-to-end" output `[1, N, 6]` of YOLOv10/YOLO26 exports (docs/detector.md
 * "Model format"): rows of x1, y1, x2, y2 (input pixels), score, class. Rows are already final, so
 * no NMS follows.
 */
import type { Candidates } from './candidates.js';

/**
 * Writes every row with score ≥ `threshold` (inclusive) and a class id in [0, classes) into `out`.
 * Rows naming an unknown class are skipped and counted in the return value.
 */
export function decodeEnd2end(data: Float32Array, classes: number, rows: number, threshold: number, out: Candidates): number {
  out.count = 0;
  let badClass = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * 6;
    const score = data[o + 4];
    if (!(score >= threshold)) continue;
    const cls = Math.round(data[o + 5]);
    if (!(cls >= 0 && cls < classes)) {
      badClass++;
      continue;
    }
    out.push(data[o], data[o + 1], data[o + 2], data[o + 3], score, cls);
  }
  return badClass;
}
