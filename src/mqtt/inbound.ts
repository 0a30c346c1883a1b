import type { Clock } from '../core/clock.js';
import { bump } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import type { InboundMeta, PayloadParser } from './link.js';
import { fromWire, reasonCode, topicMatches } from './topic-rules.js';

/**
 * Subscriptions and inbound dispatch (docs/mqtt-core.md "Inbound"): size check, then each
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
  /** At most one log line per reason per this interval (the line carries the count); default 10 s. */
  logIntervalMs?: number;
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
  /** MQTT 5 subscription identifier of each filter (tells which subscription a copy is for). */
  private ids = new Map<string, number>();
  /** MQTT 3.1.1: copies still expected of a message matching several overlapping filters. */
  private copies = new Map<string, { left: number; at: number }>();
  /** Per log key: when it was last written and how many were suppressed since. */
  private lastLog = new Map<string, { at: number; suppressed: number }>();
  /** Counters for metrics. */
  readonly counts = { received: 0, delivered: 0, handlerErrors: 0, notOurs: 0, duplicateCopies: 0 };
  /** Rejected payloads by reason code (`oversize`, `non_json`, `schema`, `invalid`). */
  readonly rejected: Record<string, number> = {};

  constructor(private readonly opts: InboundOptions) {}

  /** Filters with at least one subscriber (topics without the prefix) and their subscription ids. */
  filters(): Array<{ filter: string; id: number }> {
    return [...this.refs.keys()].map((filter) => ({ filter, id: this.ids.get(filter)! }));
  }

  /** Subscription identifier of `filter`. */
  idOf(filter: string): number {
    return this.ids.get(filter)!;
  }

  /**
   * Subscription identifier of a filter: a hash of the filter, the same in every run. With a
   * persistent session the broker delivers messages queued under the previous run's subscription
   * (and its identifier) before this run re-subscribes, so a counter, which depends on the order
   * parts subscribe in, could route them to the wrong handler. Collisions with a live filter probe
   * the next value; {@link dispatch} also checks the topic against each filter.
   */
  private stableId(filter: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < filter.length; i++) h = Math.imul(h ^ filter.charCodeAt(i), 0x01000193) >>> 0;
    const MAX = 268_435_455; // MQTT 5 variable byte integer limit for subscription identifiers
    let id = (h % MAX) + 1;
    const used = new Set(this.ids.values());
    while (used.has(id)) id = (id % MAX) + 1;
    return id;
  }

  /** Add a subscription; returns its unsubscribe function. */
  add<T>(filter: string, owner: string, parse: PayloadParser<T>, handler: (value: T, meta: InboundMeta) => void): () => void {
    const sub: Sub = { filter, owner, parse, handler: handler as Sub['handler'] };
    this.subs.push(sub);
    const n = this.refs.get(filter) ?? 0;
    this.refs.set(filter, n + 1);
    if (n === 0) {
      this.ids.set(filter, this.stableId(filter));
      this.opts.addFilter(filter);
    }
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
        this.ids.delete(s.filter);
      }
    }
  }

  /**
   * Dispatch one inbound PUBLISH (topic as on the wire). Never throws. With overlapping filters
   * (`fire/#` and `fire/trigger`) the broker sends one copy per subscription: under MQTT 5 the
   * copy's `subIds` name its subscription; under 3.1.1 the extra copies are recognised and skipped.
   */
  dispatch(wireTopic: string, payload: Buffer, retained: boolean, receivedAt: number, subIds?: number[]): void {
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
    let wanted: Set<string> | undefined;
    if (subIds?.length) {
      wanted = new Set([...this.ids].filter(([, id]) => subIds.includes(id)).map(([f]) => f));
    } else if (this.isExtraCopy(wireTopic, topic, payload, receivedAt)) {
      this.counts.duplicateCopies++;
      return;
    }
    const meta: InboundMeta = { topic, retained, receivedAt };
    for (const s of [...this.subs]) {
      if ((wanted && !wanted.has(s.filter)) || !topicMatches(s.filter, topic)) continue;
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

  private isExtraCopy(wireTopic: string, topic: string, payload: Buffer, now: number): boolean {
    let n = 0;
    for (const f of this.refs.keys()) if (topicMatches(f, topic)) n++;
    if (n < 2) return false;
    if (this.copies.size > 256) for (const [k, v] of this.copies) if (now - v.at > 2000) this.copies.delete(k);
    const key = `${wireTopic}\u0000${payload.length}\u0000${payload.toString('base64', 0, Math.min(payload.length, 512))}`;
    const c = this.copies.get(key);
    if (c && c.left > 0 && now - c.at < 2000) {
      c.left--;
      return true;
    }
    this.copies.set(key, { left: n - 1, at: now });
    return false;
  }

  private reject(topic: string, code: string, reason: string, owner?: string): void {
    bump(this.rejected, code);
    // Keyed by reason code only (a bounded set), never by topic: a flood of junk on random topics
    // must not become a log line per topic.
    this.throttledLog(`reject:${code}`, (suppressed) =>
      this.opts.logger.warn('inbound message rejected', { topic, reason: reason.slice(0, 300), code, owner, suppressedSinceLastLine: suppressed, rejected: { ...this.rejected } }),
    );
  }

  /** One line per key per interval; the next line says how many were suppressed in between. */
  private throttledLog(key: string, write: (suppressed: number) => void): void {
    const now = this.opts.clock.now();
    const every = this.opts.logIntervalMs ?? LOG_EVERY_MS;
    const last = this.lastLog.get(key);
    if (last && now - last.at < every) {
      last.suppressed++;
      return;
    }
    if (!last && this.lastLog.size >= 256) this.lastLog.clear(); // keys are bounded; belt and braces
    this.lastLog.set(key, { at: now, suppressed: 0 });
    write(last?.suppressed ?? 0);
  }
}
