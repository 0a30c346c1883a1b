import { fail, ok, type Result } from '../../core/result.js';
import type { ObservationBatch } from '../types.js';
import { cameraId, normaliseBox, score, type Resolution } from './common.js';

/** What Frigate parsing needs from the configuration. */
export interface FrigateInputContext {
  minConfidence: number;
  /** Frigate detect size: `consensus.cameras.<id>` or `consensus.frigateResolution`. */
  resolutionFor(camera: string): Resolution;
}

/** Frigate labels that can count (docs/consensus.md input 3). */
const FRIGATE_LABELS = new Set(['fire', 'smoke']);

/**
 * Frigate event (`frigate/events`) → batch (docs/consensus.md input 3): `after.label` fire/smoke only,
 * `after.camera`, `after.top_score`, `after.box` (pixels of the detect size), `after.id` as the
 * track. `false_positive: true` is ignored and `type: end` closes the track (both differ from the
 * reference, scenario 50). A box-less event is refused: without an area it cannot show growth and
 * cannot be checked against masks (the reference invented an area of 0.01, scenario 49).
 */
export function parseFrigate(obj: Record<string, unknown>, ctx: FrigateInputContext): Result<ObservationBatch> {
  const after = obj.after;
  if (after === null || typeof after !== 'object' || Array.isArray(after)) return fail('bad_payload: after must be an object');
  const a = after as Record<string, unknown>;
  if (typeof a.label !== 'string' || !FRIGATE_LABELS.has(a.label)) return fail('label_not_counted: Frigate label is not fire/smoke');
  if (a.false_positive === true) return fail('false_positive: Frigate marked the object a false positive');
  const cam = cameraId(a.camera);
  if (!cam.ok) return cam;
  const id = typeof a.id === 'string' && a.id !== '' ? a.id : undefined;
  if (obj.type === 'end') {
    if (id === undefined) return fail('bad_payload: an end event needs after.id');
    return ok({ source: 'frigate', camera: cam.value, items: [{ label: a.label, score: 0, x1: 0, y1: 0, x2: 0, y2: 0, track: id, end: true }] });
  }
  const s = score(a.top_score, 'after.top_score');
  if (!s.ok) return s;
  if (a.box === undefined || a.box === null) return fail('missing_box: Frigate event without after.box');
  const box = normaliseBox(a.box, ctx.resolutionFor(cam.value));
  if (!box.ok) return box;
  const [x1, y1, x2, y2] = box.value;
  return ok({
    source: 'frigate',
    camera: cam.value,
    minScore: ctx.minConfidence,
    items: [{ label: a.label, score: s.value, x1, y1, x2, y2, track: id }],
  });
}
