import { createCameraRole, type CameraRole } from '../detect/index.js';
import type { PartContext } from '../core/part.js';
import type { AppPart } from './part.js';
import { resolveAsset } from './paths.js';
import { guardedLink } from '../mqtt/index.js';

/**
 * The camera role: one worker thread owns the cameras' sources, the frame slots and the ONNX
 * session (docs/design.md "One process, two threads"); detections come back to this (main) thread and
 * go to the bus (local consensus) and MQTT. A shipped-model path (`models/...`) is resolved against
 * the assets beside the bundle when it is not found from the working directory.
 */
export function wireCamera(ctx: PartContext, clockSynced?: () => boolean): { part: AppPart; role: CameraRole } {
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
  const part: AppPart = {
    name: 'camera',
    // A camera node whose model is refused cannot watch anything: refuse to start, loudly.
    critical: true,
    start: () => role.start(),
    stop: () => role.stop(),
    status: () => role.snapshot(),
    metrics: () => ({ ...role.metrics(), link_errors: guarded?.errors() ?? 0 }),
  };
  return { part, role };
}
