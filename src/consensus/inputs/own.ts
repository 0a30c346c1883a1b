import { fail, ok, type Result } from '../../core/result.js';
import { detectionMessageSchema, type DetectionMessage } from '../../topics/payloads.js';
import type { Observation, ObservationBatch } from '../types.js';
import { cameraId } from './common.js';

/** What own-message parsing needs from the configuration. */
export interface OwnInputContext {
  /** The detector's operating threshold (`model.threshold` of the model card). */
  modelThreshold: number;
  /** `consensus.minScore`: may raise the bar, never lower it. */
  minScore?: number;
}

/**
 * Own detection message (docs/topics.md "Own detection message") → batch. Boxes are already normalised;
 * scores are accepted at the sender's `model.threshold` (our detector's when absent), raised by
 * `minScore`. The engine applies the class filter, area limits and masks per detection.
 */
/**
 * `capturedAtWallMs`: the frame's capture time in wall ms, from the bus as the camera role measured
 * it, or converted once from the wire's `frame.captured_at` seconds by {@link parseOwnMessage}.
 */
export function ownMessageToBatch(msg: DetectionMessage, topicLevel: string | undefined, ctx: OwnInputContext, capturedAtWallMs: number | undefined): Result<ObservationBatch> {
  // The topic level wins over the payload (a producer cannot vote for another camera's topic).
  const cam = cameraId(topicLevel ?? msg.camera_id);
  if (!cam.ok) return cam;
  const items: Observation[] = msg.detections.map((d) => ({
    label: d.label,
    score: d.score,
    x1: d.box[0],
    y1: d.box[1],
    x2: d.box[2],
    y2: d.box[3],
    track: d.track,
  }));
  return ok({
    source: 'own',
    camera: cam.value,
    node: msg.node_id,
    messageId: msg.id,
    capturedAtWallMs,
    minScore: Math.max(msg.model?.threshold ?? ctx.modelThreshold, ctx.minScore ?? 0),
    items,
  });
}

/** Validate a decoded JSON object as an own detection message. */
export function parseOwnMessage(obj: Record<string, unknown>, topicLevel: string | undefined, ctx: OwnInputContext): Result<ObservationBatch> {
  const r = detectionMessageSchema.safeParse(obj);
  if (!r.success) {
    const i = r.error.issues[0];
    const code = i.path.includes('box') ? 'bad_box' : i.path.includes('score') ? 'bad_score' : 'bad_payload';
    return fail(`${code}: ${i.path.join('.') || '(root)'} ${i.message}`);
  }
  const captured = r.data.frame?.captured_at;
  return ownMessageToBatch(r.data, topicLevel, ctx, captured === undefined ? undefined : captured * 1000);
}
