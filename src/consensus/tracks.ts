import type { InputSource } from './types.js';
import type { AreaSeries } from './growth.js';

/**
 * Per-track sample history, bounded by time (the window) rather than by a sample count: the
 * reference's 100-sample cap shrank the window at high frame rates and threw the growth baseline
 * away (scenarios-consensus 57). A hard cap still bounds memory, but reaching it thins the history
 * (every other sample goes, the oldest and the newest stay) instead of dropping the oldest samples,
 * so the window keeps its whole span and the growth baseline survives; thinned samples are counted.
 */

/** Samples one track keeps before thinning (30 fps × 30 s fits; 10 fps × 120 s thins). */
export const MAX_SAMPLES_PER_TRACK = 1024;

/** Ring buffer of (time, area, score), oldest first, kept in time order. */
export class SampleRing implements AreaSeries {
  private t: Float64Array;
  private a: Float64Array;
  private s: Float32Array;
  private head = 0;
  len = 0;

  constructor(
    initial = 16,
    private readonly max = MAX_SAMPLES_PER_TRACK,
  ) {
    this.t = new Float64Array(initial);
    this.a = new Float64Array(initial);
    this.s = new Float32Array(initial);
  }

  private idx(i: number): number {
    const j = this.head + i;
    return j >= this.t.length ? j - this.t.length : j;
  }

  /** Time of the i-th sample, oldest first. */
  timeAt(i: number): number {
    return this.t[this.idx(i)];
  }

  /** Area of the i-th sample, oldest first. */
  areaAt(i: number): number {
    return this.a[this.idx(i)];
  }

  /** Score of the i-th sample, oldest first. */
  scoreAt(i: number): number {
    return this.s[this.idx(i)];
  }

  private grow(): void {
    const cap = Math.min(this.max, this.t.length * 2);
    const t = new Float64Array(cap), a = new Float64Array(cap), s = new Float32Array(cap);
    for (let i = 0; i < this.len; i++) {
      const j = this.idx(i);
      t[i] = this.t[j];
      a[i] = this.a[j];
      s[i] = this.s[j];
    }
    this.t = t;
    this.a = a;
    this.s = s;
    this.head = 0;
  }

  /**
   * Append a sample; returns how many samples the hard cap thinned out (0 below the cap). A sample
   * older than the newest (a backlog delivered out of order) is inserted at its place so the ring
   * stays ordered.
   */
  push(time: number, area: number, score: number): number {
    let thinned = 0;
    if (this.len === this.t.length) {
      if (this.t.length < this.max) this.grow();
      else thinned = this.thin();
    }
    let pos = this.len;
    this.len++;
    // Shift newer samples one slot up until `time` fits (rare: only out-of-order input).
    while (pos > 0 && this.t[this.idx(pos - 1)] > time) {
      const from = this.idx(pos - 1), to = this.idx(pos);
      this.t[to] = this.t[from];
      this.a[to] = this.a[from];
      this.s[to] = this.s[from];
      pos--;
    }
    const k = this.idx(pos);
    this.t[k] = time;
    this.a[k] = area;
    this.s[k] = score;
    return thinned;
  }

  /**
   * Keep every other sample, always the oldest (the growth baseline) and the newest; a dropped
   * sample's score folds into the kept one before it, so the window's best score is not lost.
   * In place: logical slot w <= r is written only after slot r has been read.
   */
  private thin(): number {
    const n = this.len;
    let w = 0;
    for (let r = 0; r < n; r += 2) {
      const from = this.idx(r), to = this.idx(w);
      const s = r + 1 < n - 1 ? Math.max(this.s[from], this.s[this.idx(r + 1)]) : this.s[from];
      this.t[to] = this.t[from];
      this.a[to] = this.a[from];
      this.s[to] = s;
      w++;
    }
    if (n % 2 === 0) {
      // The newest sample sits at an odd index: keep it too.
      const from = this.idx(n - 1), to = this.idx(w);
      this.t[to] = this.t[from];
      this.a[to] = this.a[from];
      this.s[to] = this.s[from];
      w++;
    }
    this.len = w;
    return n - w;
  }

  /** Drop samples strictly older than `cut` (window edges are inclusive: scenario 22). */
  dropBefore(cut: number): void {
    while (this.len > 0 && this.t[this.head] < cut) {
      this.head = this.idx(1);
      this.len--;
    }
  }

  /** Highest score among the kept samples. */
  maxScore(): number {
    let m = 0;
    for (let i = 0; i < this.len; i++) m = Math.max(m, this.s[this.idx(i)]);
    return m;
  }
}

/** Fire status of a track at evaluation time. */
export type FireStatus = 0 | 1 | 2;
/** Not seeing fire. */
export const NONE: FireStatus = 0;
/** Growing (the reference rule). */
export const GROWING: FireStatus = 1;
/** Persistent (opt-in rule). */
export const PERSISTENT: FireStatus = 2;

/** One tracked object on one camera. */
export class Track {
  /** Samples within the window. */
  readonly ring = new SampleRing();
  /** Latest label (evidence; persistence counts `fire` tracks only). */
  label: string;
  /** Monotonic ms of the newest sample. */
  lastSeen: number;
  /** Start of the current gap-free run (persistence). */
  runStart: number;
  /** Last box, for IoU association. */
  x1 = 0;
  y1 = 0;
  x2 = 0;
  y2 = 0;
  /** Cached status and the monotonic time up to which it is valid without new input. */
  status: FireStatus = NONE;
  validUntil = -Infinity;
  /** Growth medians of the last evaluation (evidence). */
  early = 0;
  late = 0;
  /** Batch stamp of the last update (an id-less box matches each track at most once a message). */
  stamp = -1;

  constructor(
    /** Track id as reported in `fire_locations` (`String(key)` or the auto-assigned number). */
    readonly name: string,
    /** The lookup key: the producer's id, or undefined for tracks the engine associates by IoU. */
    readonly key: string | number | undefined,
    label: string,
    now: number,
    /** Which input made the track: the growth rule's window and sample count depend on it. */
    readonly source: InputSource = 'own',
  ) {
    this.label = label;
    this.lastSeen = now;
    this.runStart = now;
  }
}

/** Intersection over union of two boxes (0 when disjoint). */
export function iou(ax1: number, ay1: number, ax2: number, ay2: number, bx1: number, by1: number, bx2: number, by2: number): number {
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
}
