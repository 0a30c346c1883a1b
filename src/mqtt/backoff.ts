import type { Random } from '../core/random.js';

/**
 * Reconnect delay policy (docs/mqtt-core.md "Backoff with jitter"). Pure: no timers, no I/O; the random
 * source is injected so tests get a deterministic sequence.
 */
export interface Backoff {
  /** Delay in ms before the next attempt; each call counts one attempt (n = 1, 2, ...). */
  next(): number;
  /** Back to attempt 1 (called on a successful CONNACK). */
  reset(): void;
  /** Attempts counted since the last reset. */
  readonly attempt: number;
}

/** Options of {@link fullJitterBackoff}. */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  random: Random;
}

/**
 * Full jitter: `delay(n) = random(0, min(cap, base * 2^(n-1)))`. Full (rather than equal or
 * decorrelated) jitter spreads a site's nodes out after a broker restart, so they do not all
 * reconnect in the same instant (AWS architecture blog, "Exponential Backoff And Jitter").
 */
export function fullJitterBackoff(opts: BackoffOptions): Backoff {
  let n = 0;
  return {
    next() {
      n++;
      // 2^(n-1) overflows to Infinity for large n; min() with cap keeps the ceiling finite.
      const ceiling = Math.min(opts.capMs, opts.baseMs * Math.pow(2, n - 1));
      return Math.floor(opts.random() * ceiling);
    },
    reset() {
      n = 0;
    },
    get attempt() {
      return n;
    },
  };
}
