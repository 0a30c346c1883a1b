/**
 * Restart delay policy of a camera source (docs/detector.md: jittered backoff 2 s → 60 s). Pure: the
 * random source is injected. "Equal jitter": the delay is between half and all of the doubling
 * ceiling, so a restart never happens in a tight loop, while cameras that failed together (a
 * switch rebooted) spread out.
 */
import type { Random } from '../core/random.js';

/** A restart delay policy (docs/style.md rule 3: policies are objects with next() and reset()). */
export interface RestartBackoff {
  /** Delay in ms before the next restart; counts one attempt. */
  next(): number;
  /** Called when the source delivers frames again. */
  reset(): void;
  /** Attempts since the last reset. */
  readonly attempt: number;
}

/** Doubling from `minMs` to `maxMs`, each delay uniformly within [ceiling/2, ceiling]. */
export function restartBackoff(minMs: number, maxMs: number, random: Random): RestartBackoff {
  let n = 0;
  return {
    next() {
      n++;
      const ceiling = Math.min(maxMs, minMs * Math.pow(2, n - 1));
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    },
    reset() {
      n = 0;
    },
    get attempt() {
      return n;
    },
  };
}
