import { createConsensus, type ConsensusService } from '../consensus/index.js';
import { ok } from '../core/result.js';
import type { PartContext } from '../core/part.js';
import type { AppPart } from './part.js';
import { guardedLink } from '../mqtt/index.js';

/** Options for {@link wireConsensus}. */
export interface WireConsensusOptions {
  ctx: PartContext;
  /** Operating threshold of the local model (sent in detections; used when a message lacks one). */
  modelThreshold: number;
  /** Telemetry's clock-sync flag (docs/topics.md "Time"). */
  clockSynced: () => boolean;
}

/** The consensus part: local detections via the bus, remote ones via MQTT; triggers to both. */
export function wireConsensus(opts: WireConsensusOptions): { part: AppPart; service: ConsensusService } {
  const { ctx } = opts;
  const guarded = ctx.link ? guardedLink(ctx.link, ctx.logger.child('consensus.link')) : null; // local first
  const service = createConsensus({
    config: ctx.config.consensus,
    nodeId: ctx.nodeId,
    logger: ctx.logger.child('consensus'),
    clock: ctx.clock,
    bus: ctx.bus,
    ids: ctx.ids,
    link: guarded?.link,
    modelThreshold: opts.modelThreshold,
    clockSynced: opts.clockSynced,
  });
  const part: AppPart = {
    name: 'consensus',
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
  return { part, service };
}
