import { randomBytes } from 'node:crypto';

/**
 * The one source of message ids of a process (issue 15 item 5), created once in src/app and injected
 * into the MQTT core and every part that names its messages.
 *
 * Ids are `<bootId>-<counter>`: the boot id is random once per process, so ids are unique across
 * restarts and nodes (receivers de-duplicate at-least-once deliveries by id, docs/mqtt-core.md
 * "Delivery"), and the counter makes them unique and ordered within a boot without drawing a random
 * id per message. The counter is base 36 so ids stay short on the wire.
 */
export interface IdSource {
  /** Random per process: tells two runs of the same node apart. */
  readonly bootId: string;
  /** The next id of this process: never repeats within a boot. */
  next(): string;
}

/**
 * Build the process's id source. `bootId` is for tests that need fixed ids; production draws 48
 * random bits (collisions between two boots are negligible at a few boots a day).
 */
export function createIdSource(bootId: string = randomBytes(6).toString('hex')): IdSource {
  let seq = 0;
  return {
    bootId,
    next: () => `${bootId}-${(++seq).toString(36)}`,
  };
}

/** The fields every published JSON object carries (docs/topics.md). */
export interface MessageEnvelope {
  v: 1;
  id: string;
  node_id: string;
  /** Epoch seconds: the wire unit. */
  ts: number;
}

/**
 * The envelope of one message from the process's id source. The MQTT core adds it at encode to every
 * object a part publishes without one (src/mqtt/topic-rules.ts encodePayload); a part calls it
 * itself only for a message that also travels the in-process bus whose consumers read these
 * fields, so both copies carry the same id.
 */
export function stampEnvelope(ids: IdSource, nodeId: string, wallNowMs: number): MessageEnvelope {
  return { v: 1, id: ids.next(), node_id: nodeId, ts: wallNowMs / 1000 };
}
