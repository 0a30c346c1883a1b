import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backoffCeilingMs, backoffDelayMs, createBackoff } from '../../src/core/backoff.js';
import { formatIssues, parseJson, parseJsonAs } from '../../src/core/json.js';
import { seededRandom } from '../../src/core/random.js';
import { repeatEvery } from '../../src/core/repeat.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';

// Issue 15 item 7: the shared core helpers that replace hand-written repeats (backoff ×4,
// re-arming timers ×6, JSON + schema parsing ×4 with four error formats).

describe('core backoff', () => {
  it('doubles from base to cap; full jitter in [0, ceiling), equal jitter in [ceiling/2, ceiling]', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 200].map((n) => backoffCeilingMs(n, 1000, 30_000))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelayMs(3, { baseMs: 1000, capMs: 60_000, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(3, { baseMs: 1000, capMs: 60_000, random: () => 0.999999 })).toBe(3999);
    expect(backoffDelayMs(3, { baseMs: 1000, capMs: 60_000, random: () => 0, jitter: 'equal' })).toBe(2000);
    expect(backoffDelayMs(3, { baseMs: 1000, capMs: 60_000, random: () => 0.999999, jitter: 'equal' })).toBe(4000);
    expect(backoffDelayMs(3, { baseMs: 1000, capMs: 60_000, random: () => 0.5, jitter: 'equal' })).toBe(3000);
  });

  it('a stateful backoff counts attempts and starts over on reset; the same seed gives the same delays', () => {
    const a = createBackoff({ baseMs: 100, capMs: 1000, random: seededRandom(3), jitter: 'equal' });
    const b = createBackoff({ baseMs: 100, capMs: 1000, random: seededRandom(3), jitter: 'equal' });
    const da = [a.next(), a.next(), a.next()];
    expect(da).toEqual([b.next(), b.next(), b.next()]);
    expect(a.attempt).toBe(3);
    expect(da[2]).toBeGreaterThanOrEqual(200);
    a.reset();
    expect(a.attempt).toBe(0);
    expect(a.next()).toBeLessThanOrEqual(100);
  });
});

describe('core repeatEvery', () => {
  it('runs every period until cancelled; immediate runs once at once', () => {
    const clock = new VirtualClock(0, 0);
    const at: number[] = [];
    const h = repeatEvery(clock, 100, () => void at.push(clock.now()), { immediate: true });
    clock.advance(350);
    h.cancel();
    clock.advance(500);
    expect(at).toEqual([0, 100, 200, 300]);
    h.cancel(); // idempotent
  });

  it('a job returning false ends it (both rearm modes); a throwing job still gets its next run', () => {
    const clock = new VirtualClock(0, 0);
    for (const rearm of ['after', 'before'] as const) {
      let n = 0;
      repeatEvery(clock, 10, () => ++n < 3, { rearm });
      clock.advance(100);
      expect(n, rearm).toBe(3);
    }
    let runs = 0;
    repeatEvery(clock, 10, () => {
      runs++;
      if (runs === 1) throw new Error('boom');
      return runs < 3;
    });
    expect(() => clock.advance(10)).toThrow('boom');
    clock.advance(100);
    expect(runs).toBe(3);
  });

  it('cancelling from inside the job stops it', () => {
    const clock = new VirtualClock(0, 0);
    let n = 0;
    const h = repeatEvery(clock, 10, () => {
      if (++n === 2) h.cancel();
    });
    clock.advance(100);
    expect(n).toBe(2);
  });
});

describe('core JSON parsing', () => {
  const schema = z.object({ a: z.number(), b: z.object({ c: z.string() }) });
  it('one error format: non_json with the parser message, schema with path: message; …', () => {
    expect(parseJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    const bad = parseJson(Buffer.from('{nope'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toMatch(/^non_json: /);
    expect(parseJsonAs('{"a":1,"b":{"c":"x"}}', schema)).toEqual({ ok: true, value: { a: 1, b: { c: 'x' } } });
    expect(parseJsonAs('{"a":"1","b":{}}', schema)).toEqual({ ok: false, reason: 'schema: a: Invalid input: expected number, received string; b.c: Invalid input: expected string, received undefined' });
    expect(parseJsonAs('[]', schema)).toEqual({ ok: false, reason: 'schema: (root): Invalid input: expected object, received array' });
  });

  it('formatIssues keeps the first max issues; none is `invalid`', () => {
    const issues = [1, 2, 3, 4].map((i) => ({ path: ['k', i], message: `m${i}` }));
    expect(formatIssues(issues)).toBe('k.1: m1; k.2: m2; k.3: m3');
    expect(formatIssues(issues, 1)).toBe('k.1: m1');
    expect(formatIssues([])).toBe('invalid');
  });
});
