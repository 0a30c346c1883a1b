import type { CameraRole } from '../detect/index.js';
import { ok } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import { createDiscoveryService, type DiscoverySnapshot } from './service.js';

/** Whether this node runs discovery: asked for, or needed by a camera named by its ONVIF identity. */
export function discoveryWanted(ctx: PartContext): boolean {
  const c = ctx.config;
  return c.discovery.enabled || (c.roles.includes('camera') && c.cameras.some((cam) => cam.enabled && cam.onvif !== undefined));
}

/**
 * The discovery part (issue 16). Only cameras of this node's camera role are followed; what else
 * it finds is reported (retained system/<node>/discovery, health, status page) and never started.
 */
export function createDiscoveryPart(ctx: PartContext, role: CameraRole | null): Part<DiscoverySnapshot> {
  const service = createDiscoveryService({
    config: ctx.config.discovery,
    cameras: role ? ctx.config.cameras : [],
    nodeId: ctx.nodeId,
    logger: ctx.logger.child('discovery'),
    clock: ctx.clock,
    link: ctx.link,
    applyUrl: role ? (camera, url) => role.setCameraUrl(camera, url) : undefined,
    setNote: role ? (camera, note) => role.setCameraNote(camera, note) : undefined,
  });
  return {
    name: 'discovery',
    critical: false,
    start: async () => {
      service.start();
      return ok(undefined);
    },
    stop: () => service.stop(),
    status: () => service.snapshot(),
    metrics: () => service.metrics(),
  };
}
