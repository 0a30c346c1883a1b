import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../src/consensus/dedup.js';
import { growthOf, medianInPlace } from '../../src/consensus/growth.js';
import { compileMasks, isMasked } from '../../src/consensus/masks.js';
import { SampleRing, iou } from '../../src/consensus/tracks.js';
import { normaliseBox, parseJsonObject } from '../../src/consensus/inputs/common.js';
import { parseAvailability } from '../../src/consensus/inputs/status.js';

/** Small pure pieces of the engine. */
describe('medianInPlace', () => {
  it('matches a sort-based median (odd and even lengths)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 10 }), (xs) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const m = sorted.length >> 1;
        const want = sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
        expect(medianInPlace(Float64Array.from(xs), xs.length)).toBe(want);
      }),
    );
  });
});

describe('growthOf', () => {
  const series = (areas: number[]) => ({ len: areas.length, areaAt: (i: number) => areas[i] });
  const out = { early: 0, late: 0 };
  const scratch = new Float64Array(10);
  it('needs 2W samples and compares the newest W with the oldest W', () => {
    expect(growthOf(series([1, 1, 1, 2, 2]), 3, 1.2, scratch, out)).toBe(false);
    expect(growthOf(series([1, 1, 1, 2, 2, 2]), 3, 1.2, scratch, out)).toBe(true);
    expect(out).toEqual({ early: 1, late: 2 });
    expect(growthOf(series([1, 1, 1, 9, 9, 9, 1, 1.2, 1.2]), 3, 1.2, scratch, out)).toBe(true);
    expect(growthOf(series([1, 1, 1, 1, 1, 1.19]), 1, 1.2, scratch, out)).toBe(false);
    expect(growthOf(series([1, 1.2]), 1, 1.2, scratch, out)).toBe(true);
  });
});

describe('SampleRing', () => {
  it('keeps time order, grows, drops by time (inclusive edge) and thins at the cap', () => {
    const r = new SampleRing(2, 4);
    for (const t of [1, 2, 4]) r.push(t, t * 10, 0.5);
    r.push(3, 30, 0.9); // out of order
    expect([0, 1, 2, 3].map((i) => r.timeAt(i))).toEqual([1, 2, 3, 4]);
    expect(r.maxScore()).toBeCloseTo(0.9, 6);
    // Cap 4: every other sample goes, the oldest (baseline) and the newest stay, then 5 is added.
    expect(r.push(5, 50, 0.5)).toBe(1);
    expect([0, 1, 2, 3].slice(0, r.len).map((i) => r.timeAt(i))).toEqual([1, 3, 4, 5]);
    r.dropBefore(3);
    expect([r.len, r.timeAt(0), r.areaAt(0)]).toEqual([3, 3, 30]);
  });

  it('thinning keeps the span and folds a dropped score into the sample before it', () => {
    const r = new SampleRing(4, 8);
    for (let t = 0; t < 8; t++) r.push(t, t, t === 5 ? 0.99 : 0.1);
    expect(r.push(8, 8, 0.1)).toBe(3); // 8 → 5 kept (0, 2, 4, 6, 7), then 8 added
    expect(Array.from({ length: r.len }, (_, i) => r.timeAt(i))).toEqual([0, 2, 4, 6, 7, 8]);
    expect(r.scoreAt(2)).toBeCloseTo(0.99, 6); // 5's score went to 4
    expect(r.maxScore()).toBeCloseTo(0.99, 6);
    // Odd length at the cap: the newest is at an even index and kept by the same rule.
    const o = new SampleRing(2, 3);
    for (const t of [0, 1, 2]) o.push(t, t, 0.1);
    expect(o.push(3, 3, 0.1)).toBe(1);
    expect(Array.from({ length: o.len }, (_, i) => o.timeAt(i))).toEqual([0, 2, 3]);
  });
});

describe('masks', () => {
  it('rectangles and polygons, borders inside', () => {
    const m = compileMasks([[0, 0, 0.5, 0.5], [[0.6, 0.6], [1, 0.6], [0.8, 1]]]);
    expect(isMasked(m, 0.25, 0.25)).toBe(true);
    expect(isMasked(m, 0.5, 0.5)).toBe(true);
    expect(isMasked(m, 0.55, 0.2)).toBe(false);
    expect(isMasked(m, 0.8, 0.7)).toBe(true);
    expect(isMasked(m, 0.8, 0.6)).toBe(true); // on the polygon's edge
    expect(isMasked(m, 0.62, 0.95)).toBe(false);
  });
});

describe('iou', () => {
  it('is 1 for equal boxes, 0 for disjoint, symmetric', () => {
    expect(iou(0, 0, 1, 1, 0, 0, 1, 1)).toBe(1);
    expect(iou(0, 0, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3)).toBe(0);
    expect(iou(0, 0, 0.2, 0.2, 0.1, 0.1, 0.3, 0.3)).toBeCloseTo(0.01 / 0.07, 9);
  });
});

describe('RecentIds', () => {
  it('remembers up to its capacity, least recently seen forgotten first', () => {
    const r = new RecentIds(3);
    expect(['a', 'b', 'c'].map((id) => r.seen(id))).toEqual([false, false, false]);
    expect(r.seen('a')).toBe(true); // refreshes a
    expect(r.seen('d')).toBe(false); // forgets b (least recently seen)
    expect(r.seen('b')).toBe(false);
    expect(r.seen('a')).toBe(true);
    expect(r.size).toBeLessThanOrEqual(3);
  });
  it('stays bounded under many ids', () => {
    const r = new RecentIds(100);
    for (let i = 0; i < 10_000; i++) r.seen(`m${i}`);
    expect(r.size).toBe(100);
    expect(r.seen('m9999')).toBe(true);
    expect(r.seen('m0')).toBe(false);
  });
});

describe('input helpers', () => {
  it('parseJsonObject refuses non-objects', () => {
    expect(parseJsonObject('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    for (const bad of ['[1]', '1', 'null', '"s"', '{', 'NaN']) expect(parseJsonObject(bad).ok).toBe(false);
  });
  it('normaliseBox: normalised, pixels, outside the frame', () => {
    const res = { width: 100, height: 50 };
    expect(normaliseBox([0.1, 0.2, 0.3, 0.4], res)).toEqual({ ok: true, value: [0.1, 0.2, 0.3, 0.4] });
    expect(normaliseBox([10, 10, 50, 25], res)).toEqual({ ok: true, value: [0.1, 0.2, 0.5, 0.5] });
    expect(normaliseBox([10, 10, 101, 25], res)).toMatchObject({ ok: false, reason: expect.stringMatching(/^box_outside_frame/) });
    expect(normaliseBox([0.1, 0.2, 0.3, Infinity], res)).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad_box/) });
  });
  it('parseAvailability accepts online/offline only', () => {
    expect(parseAvailability(Buffer.from('offline'), 'system/n1/availability')).toEqual({ ok: true, value: { node: 'n1', online: false } });
    expect(parseAvailability(Buffer.from('"online"'), 'system/n1/availability')).toEqual({ ok: true, value: { node: 'n1', online: true } });
    expect(parseAvailability(Buffer.from('maybe'), 'system/n1/availability').ok).toBe(false);
  });
});
