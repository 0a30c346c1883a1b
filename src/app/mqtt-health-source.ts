import type { MqttCoreSnapshot } from '../mqtt/index.js';
import type { MqttSourceSnapshot } from '../telemetry/sources.js';

/**
 * Maps the MQTT core's snapshot to the health evaluator's view. The core knows how deep its outbox
 * is but not its configured bounds, so they are joined here; without them the "outbox filling"
 * health problem (issue 7: degraded at > 80 %) could never be raised.
 */
export function mqttHealthSource(snap: MqttCoreSnapshot, bounds: { maxMessages: number; maxBytes: number }): MqttSourceSnapshot {
  return {
    state: snap.state,
    outboxDepth: snap.outbox.depth,
    outboxBytes: snap.outbox.bytes,
    outboxMax: bounds.maxMessages,
    outboxMaxBytes: bounds.maxBytes,
    outboxWriteError: snap.outbox.writeError,
  };
}
