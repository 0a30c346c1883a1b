import type { Clock } from '../core/clock.js';
import { bump } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import type { InboundMeta, PayloadParser } from './link.js';
import { fromWire, reasonCode, topicMatches } from './topic-rules.js';

/**
 * Subscriptions and inbound dispatch (MQTT-CORE.md "Inbound"): size check, then each
 * subscription's parser, then its handler, isolated from every other handler. Bad payloads are
 * dropped with a counted reason; the log is throttled so a flood of junk cannot flood the log.
 */

interface Sub {
  filter: string;
  owner: string;
  parse: PayloadParser<unknown>;
  handler: (value: unknown, meta: InboundMeta) => void;
}

/** Options of {@link Inbound}. */
export interface InboundOptions {
  prefix: string;
  maxBytes: number;
  logger: Logger;
  clock: Clock;
  /** Called when a filter gains its first subscriber (subscribe on the wire). */
  addFilter(filter: string): void;
  /** Called when a filter lost its last subscriber. */
  removeFilter(filter: string): void;
}

const LOG_EVERY_MS = 10_000;

/** The subscription registry and dispatcher. */
export class Inbound {
  private subs: Sub[] = [];
  private refs = new Map<string, number>();
  private lastLog = new Map<string, number>();
  /** Counters for metrics. */
  readonly counts = { received: 0, delivered: 0, handlerErrors: 0, notOurs: 0 };
  /** Rejected payloads by reason code (`oversize`, `non_json`, `schema`, `invalid`). */
  readonly rejected: Record<string, number> = {};

  constructor(private readonly opts: InboundOptions) {}

  /** Filters with at least one subscriber (topics without the prefix). */
  filters(): string[] {
    return [...this.refs.keys()];
  }

  /** Add a subscription; returns its unsubscribe function. */
  add<T>(filter: string, owner: string, parse: PayloadParser<T>, handler: (value: T, meta: InboundMeta) => void): () => void {
    const sub: Sub = { filter, owner, parse, handler: handler as Sub['handler'] };
    this.subs.push(sub);
    const n = this.refs.get(filter) ?? 0;
    this.refs.set(filter, n + 1);
    if (n === 0) this.opts.addFilter(filter);
    return () => this.removeSubs((s) => s === sub);
  }

  /** Remove every subscription of `owner`. */
  removeOwner(owner: string): void {
    this.removeSubs((s) => s.owner === owner);
  }

  private removeSubs(pred: (s: Sub) => boolean): void {
    const gone = this.subs.filter(pred);
    if (!gone.length) return;
    this.subs = this.subs.filter((s) => !pred(s));
    for (const s of gone) {
      const n = (this.refs.get(s.filter) ?? 1) - 1;
      if (n > 0) this.refs.set(s.filter, n);
      else {
        this.refs.delete(s.filter);
        this.opts.removeFilter(s.filter);
      }
    }
  }

  /** Dispatch one inbound PUBLISH (topic as on the wire). Never throws. */
  dispatch(wireTopic: string, payload: Buffer, retained: boolean, receivedAt: number): void {
    this.counts.received++;
    const topic = fromWire(this.opts.prefix, wireTopic);
    if (topic === undefined) {
      this.counts.notOurs++;
      return;
    }
    if (payload.length > this.opts.maxBytes) {
      this.reject(topic, 'oversize', `payload of ${payload.length} bytes exceeds mqtt.maxInboundBytes (${this.opts.maxBytes})`);
      return;
    }
    const meta: InboundMeta = { topic, retained, receivedAt };
    for (const s of [...this.subs]) {
      if (!topicMatches(s.filter, topic)) continue;
      let r;
      try {
        r = s.parse(payload, topic);
      } catch (err) {
        // A parser that throws is a bug in that parser; treat its input as invalid.
        r = { ok: false as const, reason: `invalid: parser threw: ${err instanceof Error ? err.message : String(err)}` };
      }
      if (!r.ok) {
        this.reject(topic, reasonCode(r.reason), r.reason, s.owner);
        continue;
      }
      try {
        s.handler(r.value, meta);
        this.counts.delivered++;
      } catch (err) {
        this.counts.handlerErrors++;
        this.throttledLog(`handler:${s.owner}`, () =>
          this.opts.logger.error('subscription handler threw; other subscriptions are unaffected', { owner: s.owner, topic, err }),
        );
      }
    }
  }

  private reject(topic: string, code: string, reason: string, owner?: string): void {
    bump(this.rejected, code);
    this.throttledLog(`reject:${code}:${topic}`, () =>
      this.opts.logger.warn('inbound message rejected', { topic, reason: reason.slice(0, 300), code, owner, rejected: { ...this.rejected } }),
    );
  }

  private throttledLog(key: string, write: () => void): void {
    const now = this.opts.clock.now();
    if (now - (this.lastLog.get(key) ?? Number.NEGATIVE_INFINITY) < LOG_EVERY_MS) return;
    if (this.lastLog.size > 1000) this.lastLog.clear(); // bounded memory under a topic flood
    this.lastLog.set(key, now);
    write();
  }
}
