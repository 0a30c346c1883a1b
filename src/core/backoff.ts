import type { Random } from './random.js';

/**
 * Retry/restart delay policies, one implementation for every part (issue 15: the MQTT reconnect,
 * the camera source restart, the detector worker restart and the webhook retry each had their
 * own). Pure: no timers, no I/O; the random source is injected so tests get exact sequences.
 *
 * The delay before attempt n (n = 1, 2, ...) is drawn under the ceiling
 * `min(cap, base * 2^(n-1))`:
 * - `full` jitter: uniformly in [0, ceiling), rounded down (docs/mqtt-core.md "Backoff with
 *   jitter"): spreads a site's nodes out most after a broker restart;
 * - `equal` jitter: uniformly in [ceiling/2, ceiling], rounded: never a tight loop, still spread
 *   (camera sources, the detector worker, webhooks).
 */

/** How the delay is spread under its ceiling. */
export type Jitter = 'full' | 'equal';

/** Options of {@link backoffDelayMs} and {@link createBackoff}. */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  random: Random;
  /** Default `full`. */
  jitter?: Jitter;
}

/** A delay policy (docs/style.md rule 3: policies are objects with next() and reset()). */
export interface Backoff {
  /** Delay in ms before the next attempt; each call counts one attempt (n = 1, 2, ...). */
  next(): number;
  /** Back to attempt 1 (after a success). */
  reset(): void;
  /** Attempts counted since the last reset. */
  readonly attempt: number;
}

/** The ceiling of attempt n: `min(cap, base * 2^(n-1))` (finite even where 2^(n-1) overflows). */
export function backoffCeilingMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * Math.pow(2, attempt - 1));
}

/** The delay before attempt `attempt` (1-based), for callers that count attempts themselves. */
export function backoffDelayMs(attempt: number, o: BackoffOptions): number {
  const ceiling = backoffCeilingMs(attempt, o.baseMs, o.capMs);
  if ((o.jitter ?? 'full') === 'full') return Math.floor(o.random() * ceiling);
  return Math.round(ceiling / 2 + o.random() * (ceiling / 2));
}

/** A stateful backoff counting its own attempts. */
export function createBackoff(o: BackoffOptions): Backoff {
  let n = 0;
  return {
    next() {
      n++;
      return backoffDelayMs(n, o);
    },
    reset() {
      n = 0;
    },
    get attempt() {
      return n;
    },
  };
}
