/**
 * Detect (docs/detector.md): the camera role (capture + detection in one worker thread) and the
 * detector itself. The only import for other folders.
 */
export { createCameraRole, type CameraRole, type CameraRoleOptions, type CameraRoleSnapshot } from './camera-role.js';
export { cameraRows, detectorStatus, type CameraStatusRow, type DetectorStatus } from './status.js';
export { createDetector, type Detector, type DetectorOptions, type RawDetection } from './detector.js';
export { detectConfigSchema, snapshotConfigSchema, defaultThreshold, DEFAULT_MODEL, type DetectConfig } from './config.js';
export type { Layout, LayoutOption } from './layout.js';
export { resolveWorkerScript, type WorkerScript } from './worker-host.js';
export { IouTracker } from './tracker.js';
export { createCameraPart, type CameraPart, type CameraPartOptions } from './part.js';
