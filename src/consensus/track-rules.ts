import type { CameraState } from './cameras.js';
import type { ConsensusConfig } from './config.js';
import { growthOf, type GrowthOut } from './growth.js';
import { GROWING, NONE, PERSISTENT, Track, iou } from './tracks.js';
import type { InputSource, Observation } from './types.js';

/** Counters the track rules bump (a subset of the engine's). */
export interface TrackCounters {
  tracksEvicted: number;
  samplesThinned: number;
}

/**
 * Per-camera track bookkeeping and the per-track rules (docs/consensus.md "The rule"): association,
 * samples, growth, persistence, expiry and the per-camera cap. Holds the preallocated buffers so
 * the hot path does not allocate.
 */
export class TrackRules {
  private readonly windowMs: number;
  /** Frigate's own growth window and W: its events come every 5–7 s, too sparse for 2·W in 30 s. */
  private readonly frigateWindowMs: number;
  private readonly frigateW: number;
  private readonly persistMs: number;
  private readonly scratch = new Float64Array(16);
  private readonly growth: GrowthOut = { early: 0, late: 0 };

  constructor(
    private readonly cfg: ConsensusConfig,
    private readonly counters: TrackCounters,
  ) {
    this.windowMs = cfg.windowSeconds * 1000;
    this.frigateWindowMs = cfg.frigate.windowSeconds * 1000;
    this.frigateW = cfg.frigate.movingAverageWindow;
    this.persistMs = cfg.persistSeconds * 1000;
  }

  /** The track an observation belongs to, created when new (batch `stamp` limits IoU reuse). */
  trackFor(cam: CameraState, o: Observation, t: number, stamp: number, source: InputSource = 'own'): Track {
    if (o.track !== undefined) return cam.byKey.get(o.track) ?? this.newTrack(cam, String(o.track), o.track, o.label, t, source);
    // No producer id: associate to the best-overlapping id-less track of the same label, each track
    // at most once per message (two fires in one frame stay two tracks).
    let best: Track | undefined;
    let bestIou = this.cfg.trackIouThreshold;
    for (const tr of cam.tracks) {
      if (tr.key !== undefined || tr.stamp === stamp || tr.label !== o.label || tr.source !== source) continue;
      const v = iou(tr.x1, tr.y1, tr.x2, tr.y2, o.x1, o.y1, o.x2, o.y2);
      if (v >= bestIou) {
        best = tr;
        bestIou = v;
      }
    }
    return best ?? this.newTrack(cam, String(cam.autoSeq++), undefined, o.label, t, source);
  }

  private newTrack(cam: CameraState, name: string, key: string | number | undefined, label: string, t: number, source: InputSource): Track {
    if (cam.tracks.length >= this.cfg.maxTracksPerCamera) {
      // Bounded memory: the least recently seen track makes room (counted).
      let lru = 0;
      for (let i = 1; i < cam.tracks.length; i++) if (cam.tracks[i].lastSeen < cam.tracks[lru].lastSeen) lru = i;
      this.removeTrack(cam, lru);
      this.counters.tracksEvicted++;
    }
    const tr = new Track(name, key, label, t, source);
    cam.tracks.push(tr);
    if (key !== undefined) cam.byKey.set(key, tr);
    return tr;
  }

  private removeTrack(cam: CameraState, index: number): void {
    const tr = cam.tracks[index];
    cam.tracks.splice(index, 1);
    if (tr.key !== undefined) cam.byKey.delete(tr.key);
  }

  /** Drop every track of `source` on `cam` (its boxes changed scale: old and new areas do not compare). */
  forgetTracks(cam: CameraState, source: InputSource): number {
    let n = 0;
    for (let i = cam.tracks.length - 1; i >= 0; i--) {
      if (cam.tracks[i].source !== source) continue;
      this.removeTrack(cam, i);
      n++;
    }
    return n;
  }

  /** The growth window of a track's source. */
  windowFor(tr: Track): number {
    return tr.source === 'frigate' ? this.frigateWindowMs : this.windowMs;
  }

  /** Frigate `type: end`: the producer says the object is gone. */
  closeTrack(cam: CameraState, o: Observation): void {
    if (o.track === undefined) return;
    const tr = cam.byKey.get(o.track);
    if (tr) this.removeTrack(cam, cam.tracks.indexOf(tr));
  }

  /** Record one accepted observation at monotonic `t`; `maxGapMs` is the camera's gap allowance before this message. */
  addSample(cam: CameraState, tr: Track, o: Observation, t: number, stamp: number, maxGapMs: number): void {
    // A gap longer than the camera's allowance restarts the persistence run (docs/consensus.md).
    if (t - tr.lastSeen > maxGapMs) tr.runStart = t;
    if (t > tr.lastSeen) tr.lastSeen = t;
    tr.label = o.label;
    tr.x1 = o.x1;
    tr.y1 = o.y1;
    tr.x2 = o.x2;
    tr.y2 = o.y2;
    tr.stamp = stamp;
    this.counters.samplesThinned += tr.ring.push(t, (o.x2 - o.x1) * (o.y2 - o.y1), o.score);
    tr.validUntil = -Infinity;
  }

  /** Bring a track's cached status up to date at `now` (only recomputed when it may have changed). */
  refresh(cam: CameraState, tr: Track, now: number): void {
    if (now >= tr.validUntil) this.evalTrack(cam, tr, now);
  }

  /** Recompute a track's status at `now` and until when it holds without new input. */
  private evalTrack(cam: CameraState, tr: Track, now: number): void {
    const windowMs = this.windowFor(tr);
    const w = tr.source === 'frigate' ? this.frigateW : this.cfg.movingAverageWindow;
    tr.ring.dropBefore(now - windowMs);
    tr.status = growthOf(tr.ring, w, this.cfg.areaIncreaseRatio, this.scratch, this.growth) ? GROWING : NONE;
    tr.early = this.growth.early;
    tr.late = this.growth.late;
    // The status can only change when the oldest sample leaves the window...
    let until = tr.ring.len > 0 ? tr.ring.timeAt(0) + windowMs : Infinity;
    // Persistence (opt-in) counts `fire` only: smoke drifts and lingers after a fire is out.
    if (this.persistMs > 0 && tr.label === 'fire' && tr.status === NONE) {
      const gapEnd = tr.lastSeen + cam.maxGapMs();
      if (now <= gapEnd) {
        if (now - tr.runStart >= this.persistMs) tr.status = PERSISTENT;
        else until = Math.min(until, tr.runStart + this.persistMs);
        // ...or when the persistence run breaks or completes.
        until = Math.min(until, gapEnd);
      }
    }
    tr.validUntil = until;
  }

  /** Re-evaluate every track of `cam` and drop those with nothing in the window and no run to keep. */
  sweep(cam: CameraState, now: number): void {
    for (let i = cam.tracks.length - 1; i >= 0; i--) {
      const tr = cam.tracks[i];
      this.evalTrack(cam, tr, now);
      if (tr.ring.len === 0 && now - tr.lastSeen > cam.maxGapMs()) this.removeTrack(cam, i);
    }
  }
}
