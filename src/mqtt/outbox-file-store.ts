import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { decodeSegment, encodeMessage, encodeRemove } from './outbox-codec.js';
import type { OutboxRecord, OutboxStore, OutboxStoreStats } from './outbox-store.js';

/**
 * The durable outbox on disk: an append-only log of segment files `seg-<n>.log` under `dir`
 * (docs/mqtt-core.md "Delivery"). SD-card friendly: only small sequential appends, never a rewrite in
 * place. Acknowledgements are tombstone frames; a segment is deleted once every message in it is
 * removed and every older segment is gone. When dead bytes pile up behind an old live message (a
 * priority-1 alarm held through a long outage), that segment's live records are copied forward
 * and the segment deleted, so disk use stays within ~2x the outbox bound.
 *
 * fsync policy (config `mqtt.outbox.fsync`):
 * - `always` (default): each group-committed batch containing messages is written with one
 *   `write` and one `fdatasync` BEFORE any of its messages is sent: survives SIGKILL and power loss.
 * - `interval`: write every batch, fdatasync at most every `fsyncIntervalMs`: survives SIGKILL; a
 *   power cut can lose that window.
 * - `never`: write only (page cache): survives SIGKILL, not a power cut.
 * Tombstone-only batches are written without fsync in every mode: losing one only re-sends a
 * message the receiver de-duplicates by id. New segment files are made durable with a directory fsync.
 */

/** Options of {@link FileOutboxStore}. */
export interface FileStoreOptions {
  dir: string;
  fsync: 'always' | 'interval' | 'never';
  fsyncIntervalMs: number;
  groupCommitMs: number;
  segmentBytes: number;
  logger: Logger;
}

interface Segment {
  n: number;
  path: string;
  bytes: number;
  /** Seqs whose newest copy lives in this segment and are not removed. */
  live: Set<number>;
}

const SEG_RE = /^seg-(\d{10})\.log$/;
const segName = (n: number) => `seg-${String(n).padStart(10, '0')}.log`;

/** Append-only segment-log outbox store. */
export class FileOutboxStore implements OutboxStore {
  private segments: Segment[] = [];
  private active: { seg: Segment; fh: FileHandle } | undefined;
  /** Encoded frame of every live record (needed to copy records forward during compaction). */
  private frames = new Map<number, Buffer>();
  /** Segment holding each live seq; undefined while its frame is not yet written. */
  private where = new Map<number, Segment | undefined>();
  private pending: Buffer[] = [];
  private pendingSeqs: number[] = [];
  private pendingHasMsg = false;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  /** The promise shared by the records appended since the current batch was taken. */
  private batchPromise: Promise<void> | undefined;
  private committing: Promise<void> | undefined;
  private lastSync = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;
  private liveBytes = 0;
  /** Highest seq named by any frame read at open (records and removals). */
  private maxSeq = 0;
  private readonly st: OutboxStoreStats = { segments: 0, diskBytes: 0, commits: 0, fsyncs: 0, tornRecords: 0, writeErrors: 0, lastWriteError: null };

  constructor(private readonly opts: FileStoreOptions) {}

  highestSeq(): number {
    return this.maxSeq;
  }

  async open(): Promise<OutboxRecord[]> {
    await mkdir(this.opts.dir, { recursive: true });
    const names = (await readdir(this.opts.dir)).filter((f) => SEG_RE.test(f)).sort();
    const recs = new Map<number, { rec: OutboxRecord; seg: Segment; frame: Buffer }>();
    const removed = new Set<number>();
    for (const name of names) {
      const seg: Segment = { n: Number(SEG_RE.exec(name)![1]), path: join(this.opts.dir, name), bytes: 0, live: new Set() };
      const buf = await readFile(seg.path);
      const dec = decodeSegment(buf);
      seg.bytes = buf.length;
      if (dec.torn) {
        // A partial tail from a crash mid-write, or corruption: the damaged bytes are skipped and
        // every valid frame around them is kept (decodeSegment resynchronises).
        this.st.tornRecords += dec.corruptRanges;
        this.opts.logger.warn('outbox segment has torn or corrupt bytes; skipped them, kept every valid record', {
          segment: name,
          corruptRanges: dec.corruptRanges,
          skippedBytes: dec.skippedBytes,
          fileBytes: buf.length,
        });
      }
      for (const f of dec.frames) {
        this.maxSeq = Math.max(this.maxSeq, f.type === 'del' ? f.seq : f.rec.seq);
        if (f.type === 'del') removed.add(f.seq);
        else if (!removed.has(f.rec.seq)) recs.set(f.rec.seq, { rec: f.rec, seg, frame: buf.subarray(f.offset, f.offset + f.bytes) });
      }
      this.segments.push(seg);
    }
    const out: OutboxRecord[] = [];
    for (const [seq, r] of [...recs.entries()].sort((a, b) => a[0] - b[0])) {
      if (removed.has(seq)) continue;
      r.seg.live.add(seq);
      this.where.set(seq, r.seg);
      this.frames.set(seq, Buffer.from(r.frame));
      this.liveBytes += r.frame.length;
      out.push(r.rec);
    }
    // Never append after a possibly torn tail: recovery always starts a fresh segment.
    await this.rotate();
    await this.compact();
    if (this.pending.length) this.kick();
    return out;
  }

  append(rec: OutboxRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('outbox store is closed'));
    const f = encodeMessage(rec);
    this.frames.set(rec.seq, f);
    this.where.set(rec.seq, undefined);
    this.liveBytes += f.length;
    this.pending.push(f);
    this.pendingSeqs.push(rec.seq);
    this.pendingHasMsg = true;
    // Every record of a batch shares one promise: group commit without a promise per message.
    const p = (this.batchPromise ??= new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject })));
    this.kick(); // may take the batch synchronously (and clear batchPromise): return our local
    return p;
  }

  remove(seq: number): void {
    if (this.closed || !this.frames.has(seq)) return;
    this.liveBytes -= this.frames.get(seq)!.length;
    this.frames.delete(seq);
    this.where.get(seq)?.live.delete(seq);
    this.where.delete(seq);
    this.pending.push(encodeRemove(seq));
    this.kick();
  }

  flush(): Promise<void> {
    if (!this.pending.length && !this.committing) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.kick();
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined); // errors were already counted and logged by the commit loop
    this.closed = true;
    clearTimeout(this.syncTimer);
    const a = this.active;
    this.active = undefined;
    if (a) {
      if (this.dirty && this.opts.fsync !== 'never') await a.fh.datasync().catch(() => undefined);
      await a.fh.close().catch(() => undefined);
    }
  }

  stats(): OutboxStoreStats {
    return { ...this.st, segments: this.segments.length, diskBytes: this.segments.reduce((s, x) => s + x.bytes, 0) };
  }

  private kick(): void {
    if (this.committing) return;
    this.committing = this.commitLoop().finally(() => {
      this.committing = undefined;
      if (this.pending.length || this.waiters.length) this.kick();
    });
  }

  /** Group commit: everything appended while the previous write/fsync ran goes out as one batch. */
  private async commitLoop(): Promise<void> {
    while (this.pending.length || this.waiters.length) {
      if (this.opts.groupCommitMs > 0) await new Promise((r) => setTimeout(r, this.opts.groupCommitMs));
      const bufs = this.pending;
      const seqs = this.pendingSeqs;
      const waiters = this.waiters;
      const needSync = this.pendingHasMsg;
      this.pending = [];
      this.pendingSeqs = [];
      this.waiters = [];
      this.batchPromise = undefined;
      this.pendingHasMsg = false;
      try {
        if (!this.active) throw new Error('outbox store is not open');
        const { seg, fh } = this.active;
        if (bufs.length) {
          const data = bufs.length === 1 ? bufs[0] : Buffer.concat(bufs);
          // A nearly full filesystem takes part of a write and reports the rest as ENOSPC only on
          // the next call: a short write is not success (it used to count as durable, leaving a
          // torn record on disk and health none the wiser).
          for (let off = 0; off < data.length; ) {
            const { bytesWritten } = await fh.write(data, off, data.length - off, null);
            if (bytesWritten <= 0) throw new Error('outbox write made no progress');
            off += bytesWritten;
          }
          seg.bytes += data.length;
          this.dirty = true;
          this.st.commits++;
        }
        if (needSync) await this.syncPerPolicy(fh);
        if (bufs.length || needSync) this.st.lastWriteError = null;
        for (const s of seqs) {
          // Removed meanwhile (dropped before its write): nothing to track.
          if (!this.where.has(s)) continue;
          this.where.get(s)?.live.delete(s);
          this.where.set(s, seg);
          seg.live.add(s);
        }
        for (const w of waiters) w.resolve();
        if (seg.bytes >= this.opts.segmentBytes) await this.rotate();
        await this.compact();
      } catch (err) {
        this.st.writeErrors++;
        // Cut a partly written batch off again, so the segment ends on a record boundary and the
        // next batch does not follow torn bytes (truncating frees space, so it works on a full disk).
        if (this.active) await this.active.fh.truncate(this.active.seg.bytes).catch(() => undefined);
        // Health reads this (outbox_write_failed, disk_full on ENOSPC) until a write succeeds again.
        this.st.lastWriteError = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}` : String(err);
        this.opts.logger.error('outbox write failed; messages stay in memory only until the disk works again', { err });
        for (const w of waiters) w.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private async syncPerPolicy(fh: FileHandle): Promise<void> {
    if (this.opts.fsync === 'always') {
      await fh.datasync();
      this.st.fsyncs++;
      this.dirty = false;
    } else if (this.opts.fsync === 'interval') {
      const now = Date.now();
      if (now - this.lastSync >= this.opts.fsyncIntervalMs) {
        this.lastSync = now;
        await fh.datasync();
        this.st.fsyncs++;
        this.dirty = false;
      } else if (!this.syncTimer) {
        // Make sure the tail of a burst is synced within the interval even if nothing follows it.
        this.syncTimer = setTimeout(() => {
          this.syncTimer = undefined;
          if (this.closed || !this.active) return;
          this.lastSync = Date.now();
          this.active.fh.datasync().then(
            () => void this.st.fsyncs++,
            (err) => this.opts.logger.warn('outbox periodic fsync failed', { err }),
          );
        }, this.opts.fsyncIntervalMs);
        this.syncTimer.unref();
      }
    }
  }

  /** Close the active segment and start the next one (made durable with a directory fsync). */
  private async rotate(): Promise<void> {
    const old = this.active;
    if (old) {
      if (this.dirty && this.opts.fsync !== 'never') await old.fh.datasync();
      await old.fh.close();
    }
    const n = (this.segments.at(-1)?.n ?? 0) + 1;
    const seg: Segment = { n, path: join(this.opts.dir, segName(n)), bytes: 0, live: new Set() };
    const fh = await open(seg.path, 'a');
    this.segments.push(seg);
    this.active = { seg, fh };
    this.dirty = false;
    await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    if (this.opts.fsync === 'never') return;
    try {
      const d = await open(this.opts.dir, 'r');
      await d.sync();
      await d.close();
    } catch (err) {
      this.opts.logger.debug('directory fsync not supported here', { err });
    }
  }

  /**
   * Delete fully removed segments from the head (tombstones only ever refer to the same or older
   * segments, so deleting from the head never resurrects anything). If dead bytes dominate, copy the
   * head's live frames forward; the head is deleted after those copies are durable.
   */
  private async compact(): Promise<void> {
    let deleted = false;
    while (this.segments.length > 1 && this.segments[0] !== this.active?.seg && this.segments[0].live.size === 0) {
      const head = this.segments.shift()!;
      await unlink(head.path).catch((err) => this.opts.logger.warn('could not delete outbox segment', { segment: head.path, err }));
      deleted = true;
    }
    if (deleted) await this.syncDir();
    const head = this.segments[0];
    const disk = this.segments.reduce((s, x) => s + x.bytes, 0);
    if (head && head !== this.active?.seg && disk > 2 * this.liveBytes + 2 * this.opts.segmentBytes) {
      for (const seq of head.live) {
        const f = this.frames.get(seq);
        if (!f) continue;
        this.pending.push(f);
        this.pendingSeqs.push(seq);
        this.pendingHasMsg = true;
      }
    }
  }
}
