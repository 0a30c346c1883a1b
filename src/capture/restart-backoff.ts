/**
 * Restart delay policy of a camera source (docs/detector.md: jittered backoff 2 s → 60 s): the core
 * backoff with "equal" jitter, the delay between half and all of the doubling ceiling, so a restart
 * never happens in a tight loop, while cameras that failed together (a switch rebooted) spread out.
 */
import { createBackoff, type Backoff } from '../core/backoff.js';
import type { Random } from '../core/random.js';

/** A restart delay policy; `reset()` when the source delivers frames again. */
export type RestartBackoff = Backoff;

/** Doubling from `minMs` to `maxMs`, each delay uniformly within [ceiling/2, ceiling]. */
export function restartBackoff(minMs: number, maxMs: number, random: Random): RestartBackoff {
  return createBackoff({ baseMs: minMs, capMs: maxMs, random, jitter: 'equal' });
}
