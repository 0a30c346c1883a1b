/**
 * A small IoU tracker per camera (DETECTOR.md "The hot path"): a detection of the same label that
 * overlaps a recent track by IoU ≥ `iouThreshold` keeps its integer `track` id, so consensus can
 * follow one fire's boxes over time (CONSENSUS.md growth rule). Pure; time is passed in.
 */

interface Track {
  id: number;
  label: string;
  box: [number, number, number, number];
  lastSeen: number;
}

/** Options of {@link IouTracker}. */
export interface TrackerOptions {
  /** Minimum IoU to continue a track [0.3]. */
  iouThreshold?: number;
  /** A track unseen for this long is forgotten [10 000 ms]. */
  maxAgeMs?: number;
}

/** IoU of two x1,y1,x2,y2 boxes. */
export function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy IoU association, best-scored detection first. */
export class IouTracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private readonly minIou: number;
  private readonly maxAgeMs: number;

  constructor(opts: TrackerOptions = {}) {
    this.minIou = opts.iouThreshold ?? 0.3;
    this.maxAgeMs = opts.maxAgeMs ?? 10_000;
  }

  /**
   * Assigns a track id to each detection (same order as given; detections should be sorted by
   * score, as the detector returns them). `now` is monotonic ms.
   */
  assign(dets: ReadonlyArray<{ label: string; box: readonly number[] }>, now: number): number[] {
    if (this.tracks.length) this.tracks = this.tracks.filter((t) => now - t.lastSeen <= this.maxAgeMs);
    if (dets.length === 0) return [];
    const used = new Set<Track>();
    return dets.map((d) => {
      let best: Track | null = null;
      let bestIou = this.minIou;
      for (const t of this.tracks) {
        if (used.has(t) || t.label !== d.label) continue;
        const v = iou(t.box, d.box);
        if (v >= bestIou) {
          bestIou = v;
          best = t;
        }
      }
      if (!best) {
        best = { id: this.nextId++, label: d.label, box: [0, 0, 0, 0], lastSeen: now };
        this.tracks.push(best);
      }
      used.add(best);
      best.box = [d.box[0], d.box[1], d.box[2], d.box[3]];
      best.lastSeen = now;
      return best.id;
    });
  }
}
