import { createBackoff, type Backoff, type BackoffOptions as CoreBackoffOptions } from '../core/backoff.js';

/**
 * Reconnect delay policy (docs/mqtt-core.md "Backoff with jitter"): the core backoff with full
 * jitter, `delay(n) = random(0, min(cap, base * 2^(n-1)))`. Full (rather than equal or
 * decorrelated) jitter spreads a site's nodes out after a broker restart, so they do not all
 * reconnect in the same instant (AWS architecture blog, "Exponential Backoff And Jitter").
 */
export type { Backoff };

/** Options of {@link fullJitterBackoff}. */
export type BackoffOptions = Omit<CoreBackoffOptions, 'jitter'>;

/** Full-jitter backoff; the attempt counter and delay reset on a successful CONNACK (`reset()`). */
export function fullJitterBackoff(opts: BackoffOptions): Backoff {
  return createBackoff({ ...opts, jitter: 'full' });
}
