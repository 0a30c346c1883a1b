import type { Clock } from '../core/clock.js';
import { bump } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import type { Priority } from './link.js';
import type { OutboxRecord, OutboxStore } from './outbox-store.js';

/**
 * The bounded, ordered, priority-aware outbox over an {@link OutboxStore} (docs/mqtt-core.md
 * "Delivery"). It decides what is sent next and what is dropped when full; the store only persists.
 * Order: messages are sent in `seq` order and never overtake one that is not yet durable.
 */

/** One queued message as the core sees it. */
export interface OutboxEntry {
  readonly rec: OutboxRecord;
  /** True once the store's write-ahead for it completed (only then may it be sent). */
  durable: boolean;
  /** topic + payload bytes, counted against `maxBytes`. */
  readonly size: number;
}

/** Input for {@link Outbox.add}: a record before the store gives it its order key. */
export type OutboxInput = Omit<OutboxRecord, 'seq'>;

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  store: OutboxStore;
  maxMessages: number;
  maxBytes: number;
  logger: Logger;
  clock: Clock;
  /** Called when an entry became durable (the core then tries to send). */
  onReady: () => void;
}

const DROP_LOG_EVERY_MS = 10_000;

/** Bounded durable queue of QoS 1 messages. */
export class Outbox {
  private pending = new Map<number, OutboxEntry>();
  private inflight = new Map<number, OutboxEntry>();
  private readonly byPrio: Array<Map<number, OutboxEntry>> = [new Map(), new Map(), new Map()];
  private totalBytes = 0;
  private nextSeq = 1;
  /** Dropped messages by reason (`full_p1..3`, `too_large`, `expired`). */
  readonly dropped: Record<string, number> = {};
  /** Counters for metrics. */
  readonly counts = { queued: 0, acked: 0, recovered: 0, writeErrors: 0 };
  private dropLog = { at: Number.NEGATIVE_INFINITY, since: 0 };

  constructor(private opts: OutboxOptions) {}

  /** Use another store (before `open()`, when the configured one cannot be opened). */
  replaceStore(store: OutboxStore): void {
    this.opts = { ...this.opts, store };
  }

  /** Recover what the store holds (ordered replay after a restart). */
  async open(): Promise<void> {
    const recs = await this.opts.store.open();
    for (const rec of recs) this.insert({ rec, durable: true, size: rec.payload.length + Buffer.byteLength(rec.topic) });
    this.counts.recovered = recs.length;
    // Above every seq still named on disk, removals included (a reused seq would be discarded by its
    // old removal record at the next recovery).
    this.nextSeq = Math.max(recs.length ? recs[recs.length - 1].seq : 0, this.opts.store.highestSeq?.() ?? 0) + 1;
    if (recs.length) this.opts.logger.info('outbox recovered messages from disk', { messages: recs.length, bytes: this.totalBytes });
  }

  /** Messages queued (pending + in flight). */
  get depth(): number {
    return this.pending.size + this.inflight.size;
  }

  /** Bytes queued (topic + payload). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Messages sent on the current connection and not yet acknowledged. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Seq of the newest queued message (the replay barrier for last values), or 0. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Oldest queued seq, or undefined when empty. */
  get firstSeq(): number | undefined {
    const a = this.inflight.keys().next();
    if (!a.done) return a.value;
    const b = this.pending.keys().next();
    return b.done ? undefined : b.value;
  }

  /**
   * Queue a message (write-ahead). When full, the oldest message of the lowest priority present
   * goes first; if the new message is itself of lower priority than everything queued, it is the
   * one dropped. Returns false when the new message was dropped.
   */
  add(input: OutboxInput): boolean {
    const size = input.payload.length + Buffer.byteLength(input.topic);
    if (size > this.opts.maxBytes) {
      this.drop(undefined, 'too_large', input.topic);
      return false;
    }
    while (this.depth + 1 > this.opts.maxMessages || this.totalBytes + size > this.opts.maxBytes) {
      const lowest = this.lowestPriority();
      if (lowest === undefined || input.priority > lowest) {
        this.drop(undefined, `full_p${input.priority}`, input.topic);
        return false;
      }
      const victim = this.byPrio[lowest - 1].values().next().value!;
      this.drop(victim, `full_p${lowest}`, victim.rec.topic);
    }
    const rec: OutboxRecord = { seq: this.nextSeq++, ...input };
    const entry: OutboxEntry = { rec, durable: false, size };
    this.insert(entry);
    this.counts.queued++;
    this.opts.store.append(rec).then(
      () => this.becameDurable(entry),
      () => {
        // The store logged and counted the I/O error. Better delivered from memory than not at all.
        this.counts.writeErrors++;
        this.becameDurable(entry);
      },
    );
    return true;
  }

  /**
   * The next message to send, moved to in-flight; undefined when nothing is ready. Expired
   * messages (commands past `expiresAt`) are dropped here so a queued start cannot fire late.
   */
  takeNext(wallNow: number): OutboxEntry | undefined {
    for (;;) {
      const first = this.pending.values().next();
      if (first.done) return undefined;
      const e = first.value;
      if (e.rec.expiresAt !== undefined && wallNow >= e.rec.expiresAt) {
        this.drop(e, 'expired', e.rec.topic);
        continue;
      }
      if (!e.durable) return undefined;
      this.pending.delete(e.rec.seq);
      this.inflight.set(e.rec.seq, e);
      return e;
    }
  }

  /** PUBACK for `seq`: remove it (a late ack for a dropped message is ignored). */
  ack(seq: number): void {
    const e = this.inflight.get(seq) ?? this.pending.get(seq);
    if (!e) return;
    this.counts.acked++;
    this.remove(e);
    this.opts.store.remove(seq);
  }

  /** Connection lost: everything in flight goes back to the front, in order, to be re-sent. */
  requeueInflight(): void {
    if (!this.inflight.size) return;
    // In-flight seqs are all older than pending ones (we always send from the head).
    this.pending = new Map([...this.inflight, ...this.pending]);
    this.inflight = new Map();
  }

  /** Resolves when every write so far is durable per the fsync policy. */
  flush(): Promise<void> {
    return this.opts.store.flush();
  }

  private becameDurable(e: OutboxEntry): void {
    e.durable = true;
    this.opts.onReady();
  }

  private lowestPriority(): Priority | undefined {
    for (const p of [3, 2, 1] as const) if (this.byPrio[p - 1].size) return p;
    return undefined;
  }

  private insert(e: OutboxEntry): void {
    this.pending.set(e.rec.seq, e);
    this.byPrio[e.rec.priority - 1].set(e.rec.seq, e);
    this.totalBytes += e.size;
  }

  private remove(e: OutboxEntry): void {
    const seq = e.rec.seq;
    if (!this.pending.delete(seq) && !this.inflight.delete(seq)) return;
    this.byPrio[e.rec.priority - 1].delete(seq);
    this.totalBytes -= e.size;
  }

  /** Drop `e` (or the new message when undefined); count always, log at most every 10 s. */
  private drop(e: OutboxEntry | undefined, reason: string, topic: string): void {
    if (e) {
      this.remove(e);
      this.opts.store.remove(e.rec.seq);
    }
    bump(this.dropped, reason);
    this.dropLog.since++;
    const now = this.opts.clock.now();
    if (now - this.dropLog.at >= DROP_LOG_EVERY_MS) {
      this.opts.logger.warn('outbox dropped messages', { reason, topic, droppedSinceLastLog: this.dropLog.since, dropped: { ...this.dropped } });
      this.dropLog = { at: now, since: 0 };
    }
  }
}
