/**
 * One camera's frame hand-over (docs/design.md "The hot path, allocation-free"): two preallocated
 * buffers, the newest frame wins. A frame written while an older one still waits replaces it and
 * counts as dropped; the consumer takes the waiting frame by swapping buffers, so the producer can
 * keep writing while the consumer reads. No allocation per frame.
 */

/** Metadata of the frame a consumer holds. */
export interface TakenFrame {
  /** The frame bytes (`width × height × 3`); valid until the next {@link FrameSlot.take}. */
  readonly data: Uint8Array;
  /** Sequence number of the frame since the slot was created (1, 2, ...). */
  readonly seq: number;
  /** Wall-clock epoch ms when the frame was complete. */
  readonly capturedAt: number;
}

/** Latest-wins single-frame slot for one camera. */
export class FrameSlot {
  private pending: Uint8Array;
  private reading: Uint8Array;
  private pendingSeq = 0;
  private pendingAt = 0;
  private full = false;
  private seq = 0;
  private readonly taken: { data: Uint8Array; seq: number; capturedAt: number };
  /** Frames written. */
  written = 0;
  /** Frames overwritten before they were taken (latest wins). */
  dropped = 0;

  constructor(readonly frameBytes: number) {
    this.pending = new Uint8Array(frameBytes);
    this.reading = new Uint8Array(frameBytes);
    this.taken = { data: this.reading, seq: 0, capturedAt: 0 };
  }

  /** Copies `frame` (exactly {@link frameBytes} long) into the slot. */
  write(frame: Uint8Array, capturedAt: number): void {
    if (frame.length !== this.frameBytes) throw new RangeError(`frame of ${frame.length} bytes, slot holds ${this.frameBytes}`);
    if (this.full) this.dropped++;
    this.pending.set(frame);
    this.pendingSeq = ++this.seq;
    this.pendingAt = capturedAt;
    this.full = true;
    this.written++;
  }

  /** True when a frame waits. */
  hasFrame(): boolean {
    return this.full;
  }

  /**
   * Takes the waiting frame, or returns null. The returned object and its buffer are reused: read
   * them before the next take().
   */
  take(): TakenFrame | null {
    if (!this.full) return null;
    const t = this.reading;
    this.reading = this.pending;
    this.pending = t;
    this.full = false;
    this.taken.data = this.reading;
    this.taken.seq = this.pendingSeq;
    this.taken.capturedAt = this.pendingAt;
    return this.taken;
  }
}
