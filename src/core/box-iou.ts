/**
 * Intersection over union of two `[x1, y1, x2, y2]` boxes (any unit, as long as both share it);
 * 0 when they do not overlap or a box is degenerate. Shared by the detector's tracker and the eval
 * tool's AP matching. The allocation-critical paths (NMS over a Float32Array, consensus tracks with
 * scalar fields) keep their own specialised forms.
 */
export function boxIou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
