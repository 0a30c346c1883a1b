/**
 * Round-robin camera scheduling (docs/design.md "The hot path"): the next frame processed is the first
 * camera after the last one served that has a waiting frame and whose last frame was processed at
 * least one period (1 / fps) ago, so a fast camera cannot starve a slow one and no camera is
 * processed faster than its `fps`. Pure.
 */

/** What the scheduler needs to know about one camera. */
export interface SchedCamera {
  /** True when a frame waits in the camera's slot. */
  hasFrame(): boolean;
  /** Minimum ms between two processed frames of this camera. */
  readonly minIntervalMs: number;
  /** Monotonic ms of the last processed frame (−Infinity before the first). */
  lastRun: number;
}

/** Result of {@link pickNext}: an index to serve now, or how long to wait (ms) at most. */
export interface Pick {
  index: number;
  waitMs: number;
}

/**
 * Picks the next camera to serve, starting after `last` (the index served last). `index` is −1 when
 * none is eligible; then `waitMs` is when the earliest waiting frame becomes eligible (or
 * `idleMs` when no frame waits).
 */
export function pickNext(cams: readonly SchedCamera[], last: number, now: number, idleMs = 1000, out: Pick = { index: -1, waitMs: 0 }): Pick {
  const n = cams.length;
  let wait = idleMs;
  for (let k = 1; k <= n; k++) {
    const i = (last + k) % n;
    const c = cams[i];
    if (!c.hasFrame()) continue;
    const due = c.lastRun + c.minIntervalMs - now;
    if (due <= 0) {
      out.index = i;
      out.waitMs = 0;
      return out;
    }
    if (due < wait) wait = due;
  }
  out.index = -1;
  out.waitMs = wait;
  return out;
}
