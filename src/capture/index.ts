/**
 * Capture (docs/detector.md "Cameras"): camera config, frame sources (ffmpeg, image folders), the
 * per-camera FrameSlot and watchdog. Used by the detector worker (src/detect); the only import for
 * other folders.
 */
export { cameraConfigSchema, camerasConfigSchema, cameraUrlKind, effectiveStaleSeconds, CAMERA_URL_FORMS, type CameraConfig, type CameraConfigInput, type CameraUrlKind } from './config.js';
export { CameraSupervisor, type CameraStatusSnapshot, type CameraSupervisorOptions, type SupervisorState } from './camera-supervisor.js';
export { FrameSlot, type TakenFrame } from './frame-slot.js';
export { defaultSourceFactory } from './sources.js';
export { createFfmpegSource, type FfmpegSourceOptions } from './ffmpeg-source.js';
export { createDirSource } from './dir-source.js';
export { createHttpSnapshotSource } from './http-snapshot-source.js';
export { ffmpegCommand } from './ffmpeg-args.js';
export type { FrameSource, SourceEnd, SourceFactory, SourceHandlers, SourceSpec } from './source.js';
