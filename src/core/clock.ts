/**
 * Time as an injected dependency (docs/style.md rule 2). Pure cores (consensus, pump machine, backoff)
 * take a Clock and never call Date.now/setTimeout themselves, so tests drive them in virtual time.
 */

/** Handle returned by {@link Clock.setTimer}; cancelling twice is harmless. */
export interface TimerHandle {
  cancel(): void;
}

/** Monotonic time, wall time and one-shot timers. All times are milliseconds. */
export interface Clock {
  /** Monotonic milliseconds (never jumps with NTP); use for durations and timers. */
  now(): number;
  /** Wall-clock epoch milliseconds; use only for timestamps in messages and expiry checks. */
  wallNow(): number;
  /** Calls `fn` once after `delayMs` (clamped at 0). */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

/**
 * Longest delay one Node timer can hold (2^31 − 1 ms, about 24.8 days). setTimeout fires a longer
 * delay after 1 ms (with a TimeoutOverflowWarning), so a long hold or lockout would end at once.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: performance.now() for monotonic time, Date.now() for wall time. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(delayMs, fn) {
    // Delays beyond MAX_TIMER_MS are chained: each link waits at most MAX_TIMER_MS, the last one
    // calls fn. Every configurable delay reaches setTimeout through here, so it is fixed once.
    let left = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
    let t: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const arm = (): void => {
      const step = Math.min(left, MAX_TIMER_MS);
      left -= step;
      t = setTimeout(() => {
        if (cancelled) return;
        if (left > 0) arm();
        else fn();
      }, step);
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        clearTimeout(t);
      },
    };
  },
};
