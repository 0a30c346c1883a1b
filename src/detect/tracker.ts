/**
 * A small IoU tracker per camera (docs/detector.md "The hot path"): a detection of the same label that
 * overlaps a recent track by IoU ≥ `iouThreshold` keeps its integer `track` id, so consensus can
 * follow one fire's boxes over time (docs/consensus.md growth rule). Pure; time is passed in.
 */

import { boxIou } from '../core/box-iou.js';

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
        const v = boxIou(t.box, d.box);
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
