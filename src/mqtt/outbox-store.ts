import type { Priority } from './link.js';

/**
 * The storage behind the durable outbox (docs/mqtt-core.md "Delivery"). Two implementations: the
 * append-only segment log on disk (`outbox-file-store.ts`, production) and an in-memory one (tests,
 * and a documented fallback). Both run the same contract suite (docs/style.md rule 4).
 */

/** One queued QoS 1 message. */
export interface OutboxRecord {
  /** Store order key: strictly increasing, replay is in `seq` order. */
  seq: number;
  /** Unique message id (also inside the JSON payload) so receivers can drop duplicates. */
  id: string;
  /** Topic without the site prefix. */
  topic: string;
  payload: Buffer;
  priority: Priority;
  /** Wall-clock epoch ms when published. */
  createdAt: number;
  /** Wall-clock epoch ms after which the message must not be sent (commands that start hardware). */
  expiresAt?: number;
}

/** Counters of a store, merged into the core's metrics. */
export interface OutboxStoreStats {
  segments: number;
  diskBytes: number;
  commits: number;
  fsyncs: number;
  /** Torn or corrupt records skipped during recovery. */
  tornRecords: number;
  writeErrors: number;
  /** The last write error, cleared by the next successful write; absent for stores without a disk. */
  lastWriteError?: string | null;
}

/** Append-only storage of outbox records. */
export interface OutboxStore {
  /** Open (creating if needed) and return the records not yet removed, in `seq` order. */
  open(): Promise<OutboxRecord[]>;
  /**
   * After open(): the highest seq any stored frame names, removals included. New seqs must be above
   * it: a removal left on disk for a reused seq would discard the new message at the next recovery.
   * Stores without removal records need not implement it.
   */
  highestSeq?(): number;
  /**
   * Write-ahead one record. The promise resolves when the record is durable per the fsync policy
   * (group commit: one write + one fsync for every record appended meanwhile), rejects on I/O error.
   */
  append(rec: OutboxRecord): Promise<void>;
  /** Mark `seq` removed (acknowledged or dropped). Lazily durable: a lost removal only re-sends a duplicate. */
  remove(seq: number): void;
  /** Resolves when every append/remove so far has been written (and fsynced per policy). */
  flush(): Promise<void>;
  /** Flush and release files; idempotent. */
  close(): Promise<void>;
  stats(): OutboxStoreStats;
}

/** What a {@link MemoryOutboxStore} keeps; pass the same backing to a new store to "reopen" it. */
export interface MemoryBacking {
  records: Map<number, OutboxRecord>;
}

/** Fresh empty backing for {@link MemoryOutboxStore}. */
export function memoryBacking(): MemoryBacking {
  return { records: new Map() };
}

/**
 * In-memory store: same contract, no durability across processes. Used by tests and by the core
 * when no state directory is writable (logged loudly by the caller).
 */
export class MemoryOutboxStore implements OutboxStore {
  private closed = false;
  private commits = 0;

  constructor(private readonly backing: MemoryBacking = memoryBacking()) {}

  async open(): Promise<OutboxRecord[]> {
    this.closed = false;
    return [...this.backing.records.values()].sort((a, b) => a.seq - b.seq).map((r) => ({ ...r }));
  }

  append(rec: OutboxRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('outbox store is closed'));
    this.backing.records.set(rec.seq, { ...rec });
    this.commits++;
    return Promise.resolve();
  }

  remove(seq: number): void {
    if (!this.closed) this.backing.records.delete(seq);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  stats(): OutboxStoreStats {
    return { segments: 0, diskBytes: 0, commits: this.commits, fsyncs: 0, tornRecords: 0, writeErrors: 0 };
  }
}
