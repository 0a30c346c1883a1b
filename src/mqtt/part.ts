import { fail, ok } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import type { MqttCore, MqttCoreSnapshot } from './core-types.js';
import { createMqttCore } from './mqtt-core.js';

/** The MQTT part, with its core: every other part's link. */
export interface MqttPart extends Part<MqttCoreSnapshot> {
  readonly core: MqttCore;
}

/**
 * The resilient MQTT core (and, with no `mqtt.url`, the embedded broker it starts). Built before
 * every other part so they all receive the same {@link MqttCore} as their link. Start resolves
 * without waiting for the broker: a node whose broker is down still runs local-first, queueing
 * QoS 1 messages in the durable outbox.
 */
export function createMqttPart(ctx: PartContext): MqttPart {
  const core = createMqttCore({
    config: ctx.config.mqtt,
    nodeId: ctx.nodeId,
    stateDir: ctx.stateDir,
    logger: ctx.logger, // the core names its own namespace (mqtt)
    clock: ctx.clock,
    random: ctx.random,
    ids: ctx.ids,
    refusalLogMs: ctx.config.log.refusalSummarySeconds * 1000,
  });
  // Connection transitions go on the bus for telemetry, the status page and notifications.
  core.onConnectionState((from, to, reason) => ctx.bus.emit('mqtt.connection', { from, to, reason }));
  return {
    name: 'mqtt',
    core,
    // Critical: a core that cannot start (embedded port taken, TLS file unreadable) is a config
    // error; refusing to start with the reason beats a node that silently never reports.
    critical: true,
    // close() bounds itself (flush for at most closeGraceMs, then disconnect and the embedded
    // broker); the app's shorter per-part deadline must not cut it off before `offline` is sent
    // and the broker's port is released. The slack covers the disconnect and the store's fsync.
    stopDeadlineMs: ctx.config.mqtt.closeGraceMs + 2000,
    async start() {
      try {
        await core.start();
        return ok(undefined);
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
    },
    // close(): `offline`, outbox flush for mqtt.closeGraceMs, disconnect, then the embedded broker.
    stop: () => core.close(),
    status: () => core.snapshot(),
    metrics: () => core.metrics(),
  };
}
