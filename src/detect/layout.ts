/**
 * Choosing and checking the output layout (docs/detector.md "Model format"): the YOLO layouts are told
 * apart from the output dims seen in a dummy run (exported shapes can be symbolic). Pure.
 */
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';

/** Output layouts the detector decodes. */
export type Layout = 'yolov8' | 'yolov5' | 'end2end';
/** `detect.layout` values. */
export type LayoutOption = Layout | 'auto';

/** A decided layout with its sizes. */
export interface LayoutInfo {
  layout: Layout;
  /** Number of classes C. */
  classes: number;
  /** Anchors (yolov8/yolov5) or rows (end2end). */
  count: number;
}

// End-to-end exports emit a few hundred rows (max_det, 300 by default); thousands mean anchors.
const MAX_E2E_ROWS = 1000;

/** Human form of the expected output shapes, naming C when the labels are known. */
function expected(labels: number | null): string {
  const c = labels === null ? 'C' : String(labels);
  const v8 = labels === null ? '4+C' : String(4 + labels);
  const v5 = labels === null ? '5+C' : String(5 + labels);
  return `[1, ${v8}, anchors] (yolov8/YOLO11), [1, anchors, ${v5}] (yolov5) or [1, N, 6] (end2end), with C = ${c} classes`;
}

/**
 * Decides the layout of an output with `dims`, or checks the one configured. `labels` is the number
 * of known class names (null when none are known).
 */
export function decideLayout(dims: readonly number[], option: LayoutOption, labels: number | null): Result<LayoutInfo> {
  const found = `[${dims.join(', ')}]`;
  if (dims.length !== 3 || dims[0] !== 1) return fail(`model output has shape ${found}; expected ${expected(labels)}`);
  const [, x, y] = dims;
  const v8 = x >= 5 && x < y && (labels === null || x === 4 + labels);
  const v5 = y >= 6 && y < x && (labels === null || y === 5 + labels);
  const e2e = y === 6 && x >= 1 && x <= MAX_E2E_ROWS && labels !== null;
  const pick = (layout: Layout): LayoutInfo =>
    layout === 'yolov8' ? { layout, classes: x - 4, count: y } : layout === 'yolov5' ? { layout, classes: y - 5, count: x } : { layout, classes: labels ?? 0, count: x };
  if (option !== 'auto') {
    const fits = option === 'yolov8' ? v8 : option === 'yolov5' ? v5 : e2e;
    if (fits) return ok(pick(option));
    const why = option === 'end2end' && labels === null && y === 6 ? ' (end2end needs class names: names metadata or a labels file)' : '';
    return fail(`model output has shape ${found}, which does not fit detect.layout ${option}${why}; expected ${expected(labels)}`);
  }
  if (v8) return ok(pick('yolov8'));
  if (labels === null && y === 6 && x <= MAX_E2E_ROWS) {
    return fail(`model output has shape ${found}, which may be end2end or one-class yolov5; give class names (labels file) or set detect.layout`);
  }
  // One-class YOLOv5 ([1, A, 6]) looks like end-to-end; few rows mean end-to-end.
  if (e2e && v5) return ok(pick(x <= 300 ? 'end2end' : 'yolov5'));
  if (e2e) return ok(pick('end2end'));
  if (v5) return ok(pick('yolov5'));
  const hint = labels !== null && (x === 4 + labels + 1 || y === 5 + labels + 1 || x === 4 + labels - 1) ? ' (the class count of the output differs from the class names)' : '';
  return fail(`model output has shape ${found}, which fits no YOLO layout${hint}; expected ${expected(labels)}`);
}
