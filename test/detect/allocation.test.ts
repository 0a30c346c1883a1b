/**
 * Allocation: the hot path runs many frames with a fixed input and the heap does not grow
 * (docs/detector.md "bounded allocation in steady state"). Measured in a child process with
 * --expose-gc so forced GCs give stable figures; the bounds are generous (a per-frame leak of the
 * frame, tensor or decode buffers would be hundreds of KB per frame, i.e. hundreds of MB here).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('hot path allocation', () => {
  it('heap and array buffers stay flat over 2 × 1200 frames (ffmpeg chunks → slot → detect)', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/detect/alloc-probe.ts', 'test/fixtures/models/yolov8-const.onnx', '1200'], { encoding: 'utf8', timeout: 90_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { frames: number; detections: number; a: Record<string, number>; b: Record<string, number>; c: Record<string, number> };
    // The path really ran: 3 detections per frame (the fixture scenario).
    expect(r.detections).toBe((300 + 2 * 1200) * 3);
    const MB = 1024 * 1024;
    expect(r.b.heapUsed - r.a.heapUsed).toBeLessThan(2 * MB);
    expect(r.c.heapUsed - r.a.heapUsed).toBeLessThan(2 * MB);
    // A fresh frame-sized buffer per frame (172 KB) would add ~200 MB over 1200 frames if kept.
    expect(r.c.arrayBuffers - r.a.arrayBuffers).toBeLessThan(4 * MB);
  });
});
