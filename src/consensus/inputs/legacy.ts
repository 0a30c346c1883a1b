import { fail, ok, type Result } from '../../core/result.js';
import type { ObservationBatch } from '../types.js';
import { cameraId, normaliseBox, score, type Resolution } from './common.js';

/** What legacy parsing needs from the configuration. */
export interface LegacyInputContext {
  /** `consensus.minConfidence` (inclusive). */
  minConfidence: number;
  /** Producer frame size of a camera: `consensus.cameras.<id>` or 1920×1080. */
  resolutionFor(camera: string): Resolution;
}

/** The reference's default producer frame (docs/consensus.md input 2). */
export const LEGACY_RESOLUTION: Resolution = { width: 1920, height: 1080 };

/**
 * Reference direct detection (no `detections` array) → one-observation batch (docs/consensus.md input 2):
 * `camera_id` (the topic level wins), `confidence`, `bbox` or `bounding_box`, optional `object_id`
 * and label (`label`/`object`/`class`; absent means fire, the only thing the reference sends).
 */
export function parseLegacy(obj: Record<string, unknown>, topicLevel: string | undefined, ctx: LegacyInputContext): Result<ObservationBatch> {
  const cam = cameraId(topicLevel ?? obj.camera_id);
  if (!cam.ok) return cam;
  const conf = score(obj.confidence, 'confidence');
  if (!conf.ok) return conf;
  const rawLabel = obj.label ?? obj.object ?? obj.class;
  if (rawLabel !== undefined && typeof rawLabel !== 'string') return fail('bad_payload: label must be a string');
  // `bbox` first; `bounding_box` when bbox is absent or unusable (scenario 36).
  const res = ctx.resolutionFor(cam.value);
  const candidates = [obj.bbox, obj.bounding_box].filter((b) => b !== undefined);
  if (candidates.length === 0) return fail('bad_box: bbox (or bounding_box) is required');
  let box = normaliseBox(candidates[0], res);
  if (!box.ok && candidates.length > 1) {
    const alt = normaliseBox(candidates[1], res);
    if (alt.ok) box = alt;
  }
  if (!box.ok) return box;
  // 1 and "1" are the same object (scenario 19); other types mean "no id": IoU association.
  const oid = obj.object_id;
  const track = typeof oid === 'string' && oid !== '' ? oid : typeof oid === 'number' && Number.isFinite(oid) ? String(oid) : undefined;
  const [x1, y1, x2, y2] = box.value;
  return ok({
    source: 'legacy',
    camera: cam.value,
    minScore: ctx.minConfidence,
    // The payload `timestamp` is ignored like the reference does (scenario 23): arrival time counts.
    items: [{ label: rawLabel ?? 'fire', score: conf.value, x1, y1, x2, y2, track }],
  });
}
