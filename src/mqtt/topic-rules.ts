import { isForeignTopic } from '../topics/topics.js';
import { parseJsonAs } from '../core/json.js';
import type { MessageEnvelope } from '../core/ids.js';
import type { Result } from '../core/result.js';
import type { PayloadParser, Priority } from './link.js';

/**
 * Pure topic and payload rules of the core: the site prefix (docs/mqtt-core.md "Topic prefix"), the
 * outbox priority of a topic ("Delivery"), and the JSON envelope every published object carries
 * (docs/topics.md: `v`, `id`, `node_id`, `ts`).
 */

/** Topic (or filter) as sent on the wire: prefix added unless it belongs to other software. */
export function toWire(prefix: string, topic: string): string {
  return prefix === '' || isForeignTopic(topic) ? topic : prefix + topic;
}

/** Topic as the parts see it, or undefined when it does not carry our prefix (not ours). */
export function fromWire(prefix: string, wireTopic: string): string | undefined {
  if (prefix === '' || isForeignTopic(wireTopic)) return wireTopic;
  return wireTopic.startsWith(prefix) ? wireTopic.slice(prefix.length) : undefined;
}

/**
 * Outbox priority from the topic (docs/mqtt-core.md): 1 (kept longest) `fire/trigger`,
 * `pump/<node>/event`, `pump/<node>/ack`; 2 `fire/detection/*`; 3 everything else.
 */
export function priorityOf(topic: string): Priority {
  if (topic === 'fire/trigger' || /^pump\/[^/]+\/(event|ack)$/.test(topic)) return 1;
  if (topic === 'fire/detection' || topic.startsWith('fire/detection/')) return 2;
  return 3;
}

/** MQTT topic filter match with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Encode a payload. Plain objects get the docs/topics.md envelope (`v`, `id`, `node_id`, `ts`) where
 * missing and are JSON-encoded: this is where the envelope of a message is made, so parts publish
 * only their own fields. The publisher's own values win: a message that also travels the bus was
 * stamped by its part from the same id source (src/core/ids.ts), and a trigger's id is the trigger's.
 * The returned id is the one in the payload, used for de-duplication by receivers.
 */
export function encodePayload(payload: string | Buffer | object, env: MessageEnvelope): { buf: Buffer; id: string } {
  if (Buffer.isBuffer(payload)) return { buf: payload, id: env.id };
  if (typeof payload === 'string') return { buf: Buffer.from(payload, 'utf8'), id: env.id };
  if (payload instanceof Uint8Array) return { buf: Buffer.from(payload), id: env.id };
  if (Array.isArray(payload)) return { buf: Buffer.from(JSON.stringify(payload)), id: env.id };
  const obj = withEnvelope(payload as Record<string, unknown>, env);
  return { buf: Buffer.from(JSON.stringify(obj)), id: obj.id as string };
}

/** A plain object with the envelope added where missing (the rule of {@link encodePayload}, shared with test fakes). */
export function withEnvelope(payload: Record<string, unknown>, env: MessageEnvelope): Record<string, unknown> {
  const obj: Record<string, unknown> = { ...env, ...payload };
  // An empty or non-string id cannot be de-duplicated on: ours replaces it.
  if (typeof obj.id !== 'string' || obj.id === '') obj.id = env.id;
  return obj;
}

/**
 * A {@link PayloadParser} for JSON topics validated by a schema (anything with zod's `safeParse`).
 * Reasons start with a code (`non_json:` or `schema:`) that the core counts by.
 */
export function jsonParser<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }): PayloadParser<T> {
  // The core's one JSON + schema parse: `non_json: ...` / `schema: <issues>`, counted by code.
  return (payload: Buffer): Result<T> => parseJsonAs(payload, schema);
}

/** The counter label of a rejection reason: its leading `code:` or `invalid`. */
export function reasonCode(reason: string): string {
  const m = /^([a-z_]{1,32}):/.exec(reason);
  return m ? m[1] : 'invalid';
}
