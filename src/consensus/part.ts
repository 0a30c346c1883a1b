import { ok } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import { guardedLink } from '../mqtt/index.js';
import { createConsensus, type ConsensusService, type ConsensusSnapshot } from './service.js';

/** The consensus part, with its service (the status page reads its timeline). */
export interface ConsensusPart extends Part<ConsensusSnapshot> {
  readonly service: ConsensusService;
}

/** The consensus part: local detections via the bus, remote ones via MQTT; triggers to both. */
export function createConsensusPart(ctx: PartContext, clockSynced: () => boolean): ConsensusPart {
  const guarded = ctx.link ? guardedLink(ctx.link, ctx.logger.child('consensus.link')) : null; // local first
  const service = createConsensus({
    config: ctx.config.consensus,
    nodeId: ctx.nodeId,
    logger: ctx.logger.child('consensus'),
    clock: ctx.clock,
    bus: ctx.bus,
    ids: ctx.ids,
    link: guarded?.link,
    // The local model's operating threshold (sent in detections; used when a message lacks one).
    modelThreshold: ctx.config.detect.threshold,
    // Telemetry's clock-sync flag (docs/topics.md "Time").
    clockSynced,
  });
  return {
    name: 'consensus',
    service,
    // A node with the consensus role but no working consensus cannot decide anything: refuse.
    critical: true,
    async start() {
      await service.start();
      return ok(undefined);
    },
    stop: () => service.stop(),
    status: () => service.snapshot(),
    metrics: () => ({ ...service.metrics(), link_errors: guarded?.errors() ?? 0 }),
  };
}
