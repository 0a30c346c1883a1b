import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { fullJitterBackoff } from '../../src/mqtt/backoff.js';

describe('full-jitter backoff', () => {
  it('draws delay n from [0, min(cap, base*2^(n-1))) with the injected random source', () => {
    const draws: number[] = [];
    const r = seededRandom(42);
    const rec = () => {
      const v = r();
      draws.push(v);
      return v;
    };
    const b = fullJitterBackoff({ baseMs: 100, capMs: 1000, random: rec });
    const delays = Array.from({ length: 8 }, () => b.next());
    const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
    expect(delays).toEqual(ceilings.map((c, i) => Math.floor(draws[i] * c)));
    expect(b.attempt).toBe(8);
  });

  it('is deterministic for a seed and reaches the ceiling at random()≈1', () => {
    const a = fullJitterBackoff({ baseMs: 1000, capMs: 60_000, random: seededRandom(7) });
    const b = fullJitterBackoff({ baseMs: 1000, capMs: 60_000, random: seededRandom(7) });
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(sa);
    const top = fullJitterBackoff({ baseMs: 1000, capMs: 60_000, random: () => 0.999999 });
    expect(Array.from({ length: 8 }, () => top.next())).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999]);
  });

  it('reset() starts again at attempt 1 (after a successful CONNACK)', () => {
    const b = fullJitterBackoff({ baseMs: 100, capMs: 10_000, random: () => 0.5 });
    expect([b.next(), b.next(), b.next()]).toEqual([50, 100, 200]);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(50);
  });

  it('never overflows for huge attempt numbers', () => {
    const b = fullJitterBackoff({ baseMs: 1000, capMs: 60_000, random: () => 0.5 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next();
    expect(last).toBe(30_000);
  });
});
