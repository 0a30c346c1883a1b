import type { Part, PartContext } from '../core/part.js';
import { guardedLink } from '../mqtt/index.js';
import { createCameraRole, type CameraRole, type CameraRoleSnapshot } from './camera-role.js';

/** The camera part, with its role (discovery follows its cameras, health and the page read it). */
export interface CameraPart extends Part<CameraRoleSnapshot> {
  readonly role: CameraRole;
}

/** What the camera part needs besides the context. */
export interface CameraPartOptions {
  /** Telemetry's clock-sync flag (docs/topics.md "Time"). */
  clockSynced?: () => boolean;
  /** Resolves a shipped asset path (`models/...`) against the bundle's assets (src/app/paths.ts). */
  resolveAsset: (path: string) => string;
}

/**
 * The camera role: one worker thread owns the cameras' sources, the frame slots and the ONNX
 * session (docs/design.md "One process, two threads"); detections come back to this (main) thread and
 * go to the bus (local consensus) and MQTT. A shipped-model path (`models/...`) is resolved against
 * the assets beside the bundle when it is not found from the working directory.
 */
export function createCameraPart(ctx: PartContext, opts: CameraPartOptions): CameraPart {
  const { clockSynced, resolveAsset } = opts;
  const detect = ctx.config.detect;
  const guarded = ctx.link ? guardedLink(ctx.link, ctx.logger.child('detect.link')) : null; // local first
  const role = createCameraRole({
    cameras: ctx.config.cameras,
    detect: { ...detect, model: resolveAsset(detect.model), ...(detect.labels ? { labels: resolveAsset(detect.labels) } : {}) },
    nodeId: ctx.nodeId,
    stateDir: ctx.stateDir,
    logger: ctx.logger.child('detect'),
    bus: ctx.bus,
    ids: ctx.ids,
    link: guarded?.link,
    clock: ctx.clock,
    random: ctx.random,
    clockSynced,
  });
  return {
    name: 'camera',
    role,
    // A camera node whose model is refused cannot watch anything: refuse to start, loudly.
    critical: true,
    start: () => role.start(),
    stop: () => role.stop(),
    status: () => role.snapshot(),
    metrics: () => ({ ...role.metrics(), link_errors: guarded?.errors() ?? 0 }),
  };
}
