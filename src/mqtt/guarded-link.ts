import type { Logger } from '../log/logger.js';
import type { MqttLink } from './link.js';

/**
 * Each part's view of the MQTT link. `MqttLink.publish` promises never to throw; this wrapper keeps
 * that promise for the parts even if a link bug breaks it. The local chain publishes from inside
 * its own work (the camera role before putting detections on the bus, the pump from inside its
 * transitions), and a throw there would cut the chain: no local consensus, or a transition aborted
 * before the outputs are written. Local first (docs/design.md) means camera → consensus → pump must not
 * depend on MQTT at all. A swallowed error is logged (first of a streak) and counted, never silent
 * (docs/style.md rule 7).
 */
export function guardedLink(link: MqttLink, logger: Logger): { link: MqttLink; errors: () => number } {
  let errors = 0;
  let streak = false;
  const guard = (what: string, fn: () => void): void => {
    try {
      fn();
      streak = false;
    } catch (err) {
      errors++;
      if (!streak) logger.error(`mqtt ${what} threw; the part carries on without it (a bug in the link)`, { err: String(err) });
      streak = true;
    }
  };
  const wrapped: MqttLink = {
    get nodeId() {
      return link.nodeId;
    },
    publish: (topic, payload, opts) => guard('publish', () => link.publish(topic, payload, opts)),
    setLastValue: (topic, payload, opts) => guard('setLastValue', () => link.setLastValue(topic, payload, opts)),
    subscribe: (filter, owner, parse, handler) => link.subscribe(filter, owner, parse, handler),
    unsubscribeOwner: (owner) => link.unsubscribeOwner(owner),
    connectionState: () => link.connectionState(),
    onConnectionState: (listener) => link.onConnectionState(listener),
  };
  return { link: wrapped, errors: () => errors };
}
