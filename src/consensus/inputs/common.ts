import { parseJson } from '../../core/json.js';
import { fail, ok, type Result } from '../../core/result.js';
import { CAMERA_ID_RE } from '../../topics/topics.js';

/**
 * Shared parsing for the input adapters. Every failure reason starts with a stable code
 * (`bad_box: ...`), which the adapter counts; the rest is for the debug log.
 */

/** The counter key of a reason: the text before the first `:`. */
export function reasonCode(reason: string): string {
  const i = reason.indexOf(':');
  return i < 0 ? reason : reason.slice(0, i);
}

/** Decode a UTF-8 JSON object; arrays, scalars, null and non-JSON (NaN literals included) fail. */
export function parseJsonObject(payload: Buffer | string): Result<Record<string, unknown>> {
  const parsed = parseJson(payload);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(`not_object: payload is ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}, expected a JSON object`);
  return ok(v as Record<string, unknown>);
}

/** A frame size in pixels. */
export interface Resolution {
  width: number;
  height: number;
}

/** Normalised box. */
export type NormBox = [number, number, number, number];

/**
 * `[x1, y1, x2, y2]` → normalised box. All four within [0, 1] ⇒ already normalised (the reference's
 * heuristic); otherwise pixels of `res`. Refuses wrong shapes, non-finite or negative numbers,
 * inverted or empty boxes and boxes outside the frame (the reference accepted those, scenario 42).
 */
export function normaliseBox(raw: unknown, res: Resolution): Result<NormBox> {
  if (!Array.isArray(raw) || raw.length !== 4) return fail('bad_box: expected [x1, y1, x2, y2]');
  for (const n of raw) if (typeof n !== 'number' || !Number.isFinite(n)) return fail('bad_box: coordinates must be finite numbers');
  let [x1, y1, x2, y2] = raw as NormBox;
  if (x1 < 0 || y1 < 0 || x2 < 0 || y2 < 0) return fail('bad_box: negative coordinate');
  if (!(x1 < x2 && y1 < y2)) return fail('bad_box: needs x1 < x2 and y1 < y2 (xywh is not supported)');
  if (!(x2 <= 1 && y2 <= 1)) {
    if (x2 > res.width || y2 > res.height) return fail(`box_outside_frame: beyond ${res.width}x${res.height}`);
    x1 /= res.width;
    x2 /= res.width;
    y1 /= res.height;
    y2 /= res.height;
  }
  return ok([x1, y1, x2, y2]);
}

/** A camera id from a topic level or a payload field; refuses empty, non-string and `unknown`. */
export function cameraId(raw: unknown): Result<string> {
  if (typeof raw !== 'string' || raw === '') return fail('missing_camera: no camera id');
  // The reference's placeholder for "no camera" must never become a voting camera (scenario 35/51).
  if (raw === 'unknown' || !CAMERA_ID_RE.test(raw)) return fail(`missing_camera: invalid camera id ${JSON.stringify(raw.slice(0, 64))}`);
  return ok(raw);
}

/** The `<camera>` level of `fire/detection/<camera>`: undefined for `fire/detection`, '' when empty. */
export function topicCamera(topic: string): string | undefined {
  const parts = topic.split('/');
  return parts.length >= 3 ? parts[2] : undefined;
}

/** A score: a finite number in [0, 1] (strings, booleans and 85 % are refused, unlike the reference). */
export function score(raw: unknown, field: string): Result<number> {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0 || raw > 1) return fail(`bad_score: ${field} must be a number in [0, 1]`);
  return ok(raw);
}
