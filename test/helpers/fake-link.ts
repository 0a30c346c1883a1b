import { topicMatches } from '../../src/mqtt/index.js';
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
 * inbound payloads through the same parse → handler path the real core uses.
 */
export class FakeLink implements MqttLink {
  readonly published: Array<{ topic: string; payload: unknown; opts: PublishOptions }> = [];
  readonly lastValues = new Map<string, unknown>();
  readonly rejected: Array<{ topic: string; reason: string }> = [];
  private subs: Sub[] = [];
  private state: ConnectionState = 'CONNECTED';
  private listeners: ConnectionListener[] = [];

  constructor(readonly nodeId = 'test-node') {}

  publish(topic: string, payload: string | Buffer | object, opts: PublishOptions): void {
    this.published.push({ topic, payload, opts });
  }

  setLastValue(topic: string, payload: string | Buffer | object): void {
    this.lastValues.set(topic, payload);
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
