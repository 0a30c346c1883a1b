import type { Clock, TimerHandle } from './clock.js';

interface PendingTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A deterministic clock for tests and the hardware-in-loop harness. Time only moves when
 * {@link VirtualClock.advance} is called; timers fire in (due time, creation order) order, and a
 * timer armed by a firing timer runs within the same advance if it falls due inside it.
 */
export class VirtualClock implements Clock {
  private mono: number;
  private wallOffset: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  /** @param startWallMs wall-clock epoch ms at virtual time 0 */
  constructor(startWallMs = 1_764_200_000_000, startMono = 0) {
    this.mono = startMono;
    this.wallOffset = startWallMs - startMono;
  }

  now(): number {
    return this.mono;
  }

  wallNow(): number {
    return this.mono + this.wallOffset;
  }

  /** Shift wall time only (simulates an NTP step); monotonic time and timers are unaffected. */
  jumpWall(deltaMs: number): void {
    this.wallOffset += deltaMs;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const t: PendingTimer = { at: this.mono + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Number of timers still pending (not fired, not cancelled). */
  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Due time of the next pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) if (!t.cancelled && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    return best?.at;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    this.advanceTo(this.mono + ms);
  }

  /** Move time forward to absolute monotonic `target`, firing due timers in order. */
  advanceTo(target: number): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: PendingTimer | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.mono = Math.max(this.mono, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.mono = Math.max(this.mono, target);
  }
}
