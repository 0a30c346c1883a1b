/**
 * Preallocated candidate boxes shared by the decoders and NMS (docs/design.md "The hot path,
 * allocation-free"): decode writes here instead of creating objects per anchor.
 */

/** Boxes (x1, y1, x2, y2 in model-input pixels), scores and class ids of one frame's candidates. */
export class Candidates {
  /** 4 floats per candidate. */
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  readonly classes: Int32Array;
  /** Number of valid candidates (the arrays are longer). */
  count = 0;

  constructor(readonly capacity: number) {
    this.boxes = new Float32Array(capacity * 4);
    this.scores = new Float32Array(capacity);
    this.classes = new Int32Array(capacity);
  }

  /**
   * Appends one candidate; returns false when full or when a value is not finite. A model is
   * untrusted: one +Inf score (it passes `>= threshold`) would otherwise make the whole frame's
   * result invalid downstream, losing every real detection in it.
   */
  push(x1: number, y1: number, x2: number, y2: number, score: number, cls: number): boolean {
    const i = this.count;
    if (i >= this.capacity) return false;
    // One check for all five: a NaN or ±Infinity anywhere makes the sum non-finite.
    if (!Number.isFinite(x1 + y1 + x2 + y2 + score)) return false;
    const b = i * 4;
    this.boxes[b] = x1;
    this.boxes[b + 1] = y1;
    this.boxes[b + 2] = x2;
    this.boxes[b + 3] = y2;
    this.scores[i] = score;
    this.classes[i] = cls;
    this.count = i + 1;
    return true;
  }
}
