import { fail, ok, type Result } from '../../core/result.js';
import { cameraStatusSchema } from '../../topics/payloads.js';
import { cameraId } from './common.js';

/** A camera status update. */
export interface CameraStatusInput {
  camera: string;
  status: 'online' | 'offline' | 'error';
  node?: string;
}

/** `camera/<camera>/status` (docs/topics.md) → status; the topic names the camera. */
export function parseCameraStatus(obj: Record<string, unknown>, topic: string): Result<CameraStatusInput> {
  const cam = cameraId(topic.split('/')[1]);
  if (!cam.ok) return cam;
  const r = cameraStatusSchema.safeParse(obj);
  if (!r.success) return fail(`bad_payload: ${r.error.issues[0].path.join('.') || '(root)'} ${r.error.issues[0].message}`);
  return ok({ camera: cam.value, status: r.data.status, node: r.data.node_id });
}

/** A node availability update. */
export interface AvailabilityInput {
  node: string;
  online: boolean;
}

/** `system/<node>/availability`: plain text `online` / `offline` (a JSON string is tolerated). */
export function parseAvailability(payload: Buffer | string, topic: string): Result<AvailabilityInput> {
  const node = topic.split('/')[1];
  if (!node) return fail('bad_payload: no node in topic');
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim().replace(/^"(.*)"$/, '$1');
  if (text !== 'online' && text !== 'offline') return fail('bad_payload: availability must be online or offline');
  return ok({ node, online: text === 'online' });
}
