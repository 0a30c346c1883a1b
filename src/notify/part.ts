import { ok } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import { createNotifier } from './notifier.js';

/**
 * Webhook notifications (fire decided, pump started/stopped, trigger blocked, pump ERROR, camera
 * offline, MQTT failed). Bus-driven and queued per webhook, so a slow endpoint never blocks the
 * control plane. Stopped early in the stop order but after the pump, so what the pump's last
 * moments queued (an ERROR, a blocked trigger) still gets the grace period.
 */
export function createNotifyPart(ctx: PartContext): Part<null> {
  const notifier = createNotifier({
    config: ctx.config.notify,
    nodeId: ctx.nodeId,
    logger: ctx.logger.child('notify'),
    clock: ctx.clock,
    bus: ctx.bus,
    ids: ctx.ids,
    random: ctx.random,
    userAgent: `wildfire-edge/${ctx.version}`,
  });
  return {
    name: 'notify',
    critical: false,
    async start() {
      notifier.start();
      return ok(undefined);
    },
    stop: () => notifier.stop(),
    // Nothing beyond its counters (metrics): what it sent is in the webhooks' own logs.
    status: () => null,
    metrics: () => notifier.metrics(),
  };
}
