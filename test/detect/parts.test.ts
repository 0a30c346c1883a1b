import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pickNext, type SchedCamera } from '../../src/detect/scheduler.js';
import { overlaySvg, storeSnapshot } from '../../src/detect/snapshot.js';
import { IouTracker } from '../../src/detect/tracker.js';

describe('IoU tracker', () => {
  it('keeps ids for overlapping boxes of the same label, new ids otherwise, forgets old tracks', () => {
    const t = new IouTracker({ iouThreshold: 0.3, maxAgeMs: 1000 });
    expect(t.assign([{ label: 'fire', box: [0.1, 0.1, 0.2, 0.2] }, { label: 'smoke', box: [0.1, 0.1, 0.2, 0.2] }], 0)).toEqual([1, 2]);
    // Grown fire box (IoU 0.69), same smoke, new fire elsewhere.
    expect(
      t.assign(
        [
          { label: 'fire', box: [0.1, 0.1, 0.22, 0.22] },
          { label: 'smoke', box: [0.1, 0.1, 0.2, 0.2] },
          { label: 'fire', box: [0.6, 0.6, 0.7, 0.7] },
        ],
        500,
      ),
    ).toEqual([1, 2, 3]);
    // Two detections never share one track.
    expect(t.assign([{ label: 'fire', box: [0.1, 0.1, 0.22, 0.22] }, { label: 'fire', box: [0.1, 0.1, 0.22, 0.22] }], 600)).toEqual([1, 4]);
    // After maxAge without a sighting the id is not reused.
    expect(t.assign([{ label: 'fire', box: [0.6, 0.6, 0.7, 0.7] }], 2000)).toEqual([5]);
  });
});

describe('round-robin scheduler', () => {
  const cam = (minIntervalMs: number, frame = true): SchedCamera => ({ hasFrame: () => frame, minIntervalMs, lastRun: -Infinity });

  it('serves cameras in turn, never one faster than its fps, and says how long to wait', () => {
    const cams = [cam(100), cam(100), cam(500)];
    const served: number[] = [];
    let last = cams.length - 1;
    let now = 0;
    for (let i = 0; i < 12; i++) {
      const p = pickNext(cams, last, now);
      if (p.index < 0) {
        now += p.waitMs;
        continue;
      }
      served.push(p.index);
      cams[p.index].lastRun = now;
      last = p.index;
      now += 10;
    }
    expect(served.slice(0, 3)).toEqual([0, 1, 2]);
    // Camera 2 (2 fps) is served once per 500 ms while 0 and 1 (10 fps) alternate.
    expect(served.filter((i) => i === 2).length).toBe(1);
    expect(served.filter((i) => i === 0).length).toBeGreaterThan(2);
    expect(pickNext([cam(100, false)], 0, 0, 1000)).toEqual({ index: -1, waitMs: 1000 });
  });
});

describe('evidence snapshots', () => {
  it('draws one rectangle and caption per box, escaped, in pixels', () => {
    const svg = overlaySvg(200, 100, [{ label: 'fire<x>', score: 0.87, box: [0.1, 0.2, 0.5, 0.6] }]);
    expect(svg).toContain('<rect x="20.0" y="20.0" width="80.0" height="40.0"');
    expect(svg).toContain('fire&#60;x&#62; 87%');
  });

  it('keeps the folder under its size cap, deleting the oldest first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-snap-'));
    const jpeg = Buffer.alloc(40_000, 1);
    for (let i = 0; i < 6; i++) await storeSnapshot(dir, 'cam', 1_764_000_000_000 + i * 1000, jpeg, 100_000);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files.reduce((n, f) => n + statSync(join(dir, f)).size, 0)).toBeLessThanOrEqual(100_000);
    expect(files[1]).toBe(`cam-${new Date(1_764_000_005_000).toISOString().replace(/[:.]/g, '-')}.jpg`);
  });
});
