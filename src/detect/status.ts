import type { CameraRoleSnapshot } from './camera-role.js';

/**
 * The camera role's status as the status page and health read it (issue 15 item 2): one row per
 * camera (its worker status, redacted URL and id) and the detector worker's state. Built from
 * {@link CameraRoleSnapshot}; consumers take these types, so a renamed field fails to compile.
 */
export type CameraStatusRow = CameraRoleSnapshot['cameras'][string] & { id: string };

/** The detector worker supervisor's state (`failed` = restart cap reached, terminal). */
export interface DetectorStatus {
  state: CameraRoleSnapshot['worker'];
  /** Why it gave up, null while it has not. */
  error: CameraRoleSnapshot['workerError'];
}

/** Camera role snapshot → one row per camera. */
export function cameraRows(s: CameraRoleSnapshot): CameraStatusRow[] {
  return Object.entries(s.cameras).map(([id, c]) => ({ id, ...c }));
}

/** Camera role snapshot → the detector's state. */
export function detectorStatus(s: CameraRoleSnapshot): DetectorStatus {
  return { state: s.worker, error: s.workerError };
}
