/**
 * Preallocated candidate boxes shared by the decoders and NMS (DESIGN.md "The hot path,
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

  /** Appends one candidate; ignored (and counted by the caller through the return) when full. */
  push(x1: number, y1: number, x2: number, y2: number, score: number, cls: number): boolean {
    const i = this.count;
    if (i >= this.capacity) return false;
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
