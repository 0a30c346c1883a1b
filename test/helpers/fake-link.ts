import { createIdSource, stampEnvelope, type IdSource } from '../../src/core/ids.js';
import { topicMatches } from '../../src/mqtt/index.js';
import { withEnvelope } from '../../src/mqtt/topic-rules.js';
import type { ConnectionListener, ConnectionState, InboundMeta, MqttLink, PayloadParser, PublishOptions } from '../../src/mqtt/link.js';

interface Sub {
  filter: string;
  owner: string;
  parse: PayloadParser<unknown>;
  handler: (v: unknown, m: InboundMeta) => void;
}

/** Topic filter match with MQTT `+` and `#` wildcards: the core's own rule, so fakes match alike. */
export { topicMatches };

/**
 * In-memory MqttLink for unit tests of adapters: records what parts publish and lets tests inject
 * inbound payloads through the same parse → handler path the real core uses. Plain objects are
 * recorded with the envelope the real core adds at encode (same rule, `withEnvelope`), from this
 * link's own id source (`ids`, shareable with the part under test) and `wallNow` (default Date.now),
 * unless `raw`.
 */
export class FakeLink implements MqttLink {
  readonly published: Array<{ topic: string; payload: unknown; opts: PublishOptions }> = [];
  readonly lastValues = new Map<string, unknown>();
  readonly rejected: Array<{ topic: string; reason: string }> = [];
  private subs: Sub[] = [];
  private state: ConnectionState = 'CONNECTED';
  private listeners: ConnectionListener[] = [];

  readonly ids: IdSource;
  private readonly wallNow: () => number;
  private readonly raw: boolean;

  /** `raw`: record payloads exactly as given, no envelope (tests of relays in front of a link). */
  constructor(
    readonly nodeId = 'test-node',
    opts: { ids?: IdSource; wallNow?: () => number; raw?: boolean } = {},
  ) {
    this.ids = opts.ids ?? createIdSource('fakelink');
    this.wallNow = opts.wallNow ?? Date.now;
    this.raw = opts.raw ?? false;
  }

  private encode(payload: string | Buffer | object): unknown {
    if (this.raw || typeof payload !== 'object' || Buffer.isBuffer(payload) || payload instanceof Uint8Array || Array.isArray(payload)) return payload;
    const obj = payload as Record<string, unknown>;
    // Already enveloped (stamped by its part for the bus too): the core would send it unchanged, so
    // the very object is recorded (tests compare the bus copy with the published one by identity).
    if (typeof obj.id === 'string' && obj.id !== '' && 'v' in obj && 'node_id' in obj && 'ts' in obj) return obj;
    return withEnvelope(obj, stampEnvelope(this.ids, this.nodeId, this.wallNow()));
  }

  publish(topic: string, payload: string | Buffer | object, opts: PublishOptions): void {
    this.published.push({ topic, payload: this.encode(payload), opts });
  }

  setLastValue(topic: string, payload: string | Buffer | object): void {
    this.lastValues.set(topic, this.encode(payload));
  }

  subscribe<T>(filter: string, owner: string, parse: PayloadParser<T>, handler: (value: T, meta: InboundMeta) => void): () => void {
    const sub: Sub = { filter, owner, parse, handler: handler as (v: unknown, m: InboundMeta) => void };
    this.subs.push(sub);
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
    };
  }

  unsubscribeOwner(owner: string): void {
    this.subs = this.subs.filter((s) => s.owner !== owner);
  }

  connectionState(): ConnectionState {
    return this.state;
  }

  onConnectionState(listener: ConnectionListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Simulate a transition. */
  setState(to: ConnectionState, reason = 'test'): void {
    const from = this.state;
    this.state = to;
    for (const l of this.listeners) l(from, to, reason);
  }

  /** Deliver an inbound message as the broker would. Returns the number of handlers that accepted it. */
  inject(topic: string, payload: string | Buffer | object, opts: { retained?: boolean; receivedAt?: number } = {}): number {
    const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    let delivered = 0;
    for (const s of [...this.subs]) {
      if (!topicMatches(s.filter, topic)) continue;
      const r = s.parse(buf, topic);
      if (!r.ok) {
        this.rejected.push({ topic, reason: r.reason });
        continue;
      }
      s.handler(r.value, { topic, retained: opts.retained ?? false, receivedAt: opts.receivedAt ?? Date.now() });
      delivered++;
    }
    return delivered;
  }

  /** Messages published on `topic` (parsed JSON when they were objects). */
  on(topic: string): unknown[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.payload);
  }
}
