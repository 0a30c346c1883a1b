import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, systemClock } from '../../src/core/clock.js';

// The real clock under vitest's fake timers (which, like Node, fire a delay above 2^31 − 1 ms
// after 1 ms): a 30-day timer must wait 30 days, not fire at once (issue 12 item 7c).

const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock.setTimer', () => {
  it('chains delays longer than setTimeout can hold (24.8 days): a 30-day timer fires after 30 days, not at once', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const start = Date.now();
    systemClock.setTimer(30 * DAY, () => fired.push(Date.now() - start));
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(25 * DAY);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(5 * DAY - 1000 - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([30 * DAY]);
  });

  it('a chained timer can be cancelled in any link; short and exact-limit delays are unchanged', () => {
    vi.useFakeTimers();
    let long = 0;
    const h = systemClock.setTimer(60 * DAY, () => long++);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1000); // into the second link
    h.cancel();
    vi.advanceTimersByTime(60 * DAY);
    expect(long).toBe(0);
    const at: number[] = [];
    const t0 = Date.now();
    systemClock.setTimer(MAX_TIMER_MS, () => at.push(Date.now() - t0));
    systemClock.setTimer(250, () => at.push(Date.now() - t0));
    systemClock.setTimer(-5, () => at.push(Date.now() - t0));
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(at).toEqual([0, 250, MAX_TIMER_MS]);
  });
});
