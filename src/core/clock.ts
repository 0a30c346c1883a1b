/**
 * Time as an injected dependency (STYLE.md rule 2). Pure cores (consensus, pump machine, backoff)
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

/** The real clock: performance.now() for monotonic time, Date.now() for wall time. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(delayMs, fn) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(t) };
  },
};
