import { describe, expect, it } from 'vitest';
import { Candidates } from '../../src/detect/candidates.js';
import { decideLayout } from '../../src/detect/layout.js';
import { Nms } from '../../src/detect/nms.js';
import { parseNames, readOnnxFile } from '../../src/detect/onnx-metadata.js';
import { bilinearInto, PAD_VALUE, planLetterbox, Preprocessor } from '../../src/detect/preprocess.js';
import { readFileSync } from 'node:fs';

describe('letterbox preprocessing', () => {
  it('plan for 640x360 into 320x320: gain 0.5, 70 px top/bottom padding', () => {
    const p = planLetterbox(640, 360, 320, 320);
    expect([p.gain, p.newW, p.newH, p.padX, p.padY]).toEqual([0.5, 320, 180, 0, 70]);
  });

  it('uniform frame: image area holds the colour, padding holds 114/255, CHW order', () => {
    const pre = new Preprocessor(320, 320);
    const rgb = new Uint8Array(640 * 360 * 3);
    for (let i = 0; i < rgb.length; i += 3) [rgb[i], rgb[i + 1], rgb[i + 2]] = [255, 0, 51];
    pre.run(rgb, 640, 360);
    const plane = 320 * 320;
    const at = (c: number, x: number, y: number) => pre.data[c * plane + y * 320 + x];
    expect(at(0, 0, 69)).toBeCloseTo(PAD_VALUE, 6);
    expect(at(2, 319, 250)).toBeCloseTo(PAD_VALUE, 6);
    expect([at(0, 5, 70), at(1, 5, 70), at(2, 5, 70)].map((v) => +v.toFixed(5))).toEqual([1, 0, 0.2]);
    expect([at(0, 319, 249), at(2, 160, 160)].map((v) => +v.toFixed(5))).toEqual([1, 0.2]);
  });

  it('bilinear with half-pixel centres: 2x downscale of a ramp averages neighbours', () => {
    const pre = new Preprocessor(4, 4);
    // 8x8 frame, red = 10 * x.
    const rgb = new Uint8Array(8 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) rgb[(y * 8 + x) * 3] = 10 * x;
    pre.run(rgb, 8, 8);
    // Output column d samples source x = 2d + 0.5: (20d + 20d + 10) / 2.
    expect(Array.from(pre.data.subarray(0, 4)).map((v) => Math.round(v * 255))).toEqual([5, 25, 45, 65]);
  });

  it('switching frame size refills the padding (no stale pixels)', () => {
    const pre = new Preprocessor(32, 32);
    pre.run(new Uint8Array(32 * 32 * 3).fill(200), 32, 32);
    pre.run(new Uint8Array(64 * 32 * 3).fill(200), 64, 32);
    expect(pre.data[0]).toBeCloseTo(PAD_VALUE, 6); // row 0 is padding now
    expect(pre.data[8 * 32]).toBeCloseTo(200 / 255, 6); // row 8 is image
  });
});

describe('untrusted model outputs', () => {
  it('an anchor with a non-finite score or box is dropped; the valid ones in the same frame stay', async () => {
    const { decodeYolov8 } = await import('../../src/detect/decode-yolov8.js');
    // yolov8 layout [4 + 2 classes, 4 anchors]: +Inf score, NaN box, -Inf box, and one valid smoke box.
    const A = 4;
    const rows = [
      [10, 10, 4, 4, Infinity, 0],
      [20, 20, NaN, 4, 0.9, 0],
      [30, 30, 4, -Infinity, 0.9, 0],
      [40, 40, 8, 8, 0.1, 0.8],
    ];
    const data = new Float32Array(6 * A);
    rows.forEach((r, a) => r.forEach((v, k) => (data[k * A + a] = v)));
    const c = new Candidates(A);
    decodeYolov8(data, 2, A, 0.5, c);
    expect(c.count).toBe(1);
    expect([...c.boxes.subarray(0, 4), c.scores[0], c.classes[0]].map((v) => +v.toFixed(3))).toEqual([36, 36, 44, 44, 0.8, 1]);
  });
});

describe('NMS', () => {
  const cands = (rows: Array<[number, number, number, number, number, number]>) => {
    const c = new Candidates(rows.length);
    for (const r of rows) c.push(...r);
    return c;
  };

  it('suppresses same-class overlaps above the IoU threshold only; best first; ties by index', () => {
    const c = cands([
      [0, 0, 10, 10, 0.6, 0],
      [1, 0, 11, 10, 0.9, 0], // IoU with #0 = 90/110 = 0.818
      [0, 0, 10, 10, 0.8, 1], // other class: never suppressed by class 0
      [20, 20, 30, 30, 0.6, 0], // tie with #0 on score: lower index ranks first
      [0, 0, 10, 5, 0.5, 0], // IoU with #1 = 45/105 < 0.45: kept
    ]);
    const n = new Nms(5);
    const k = n.run(c, 0.45, 100);
    expect(Array.from(n.keep.subarray(0, k))).toEqual([1, 2, 3, 4]);
    const k2 = n.run(c, 0.85, 100);
    expect(Array.from(n.keep.subarray(0, k2))).toEqual([1, 2, 0, 3, 4]);
    expect(n.run(c, 0.45, 2)).toBe(2);
  });

  it('sorts many random candidates correctly (heap sort)', () => {
    const N = 500;
    const c = new Candidates(N);
    for (let i = 0; i < N; i++) c.push(i * 20, 0, i * 20 + 10, 10, ((i * 7919) % 1000) / 1000, 0);
    const n = new Nms(N);
    const k = n.run(c, 0.45, N);
    const scores = Array.from(n.keep.subarray(0, k)).map((i) => c.scores[i]);
    expect(k).toBe(N);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });
});

describe('ONNX metadata and layout decisions', () => {
  it('parses Ultralytics names dict literals and lists', () => {
    expect(parseNames("{0: 'fire', 1: 'smoke'}")).toEqual(['fire', 'smoke']);
    expect(parseNames('{0: "a b", 2: \'c\'}')).toEqual(['a b', 'class1', 'c']);
    expect(parseNames("['x', 'y']")).toEqual(['x', 'y']);
    expect(parseNames('nonsense')).toBeNull();
    expect(() => parseNames("{0: 'a', 4096: 'b'}")).toThrow(RangeError);
    expect(parseNames("{0: 'a', 4095: 'b'}")).toHaveLength(4096);
  });

  it('reads names from a model file and rejects truncation at any cut point', () => {
    const bytes = readFileSync('test/fixtures/models/yolov8-const.onnx');
    const r = readOnnxFile(bytes);
    expect(r.ok && r.value.metadata.names).toBe("{0: 'fire', 1: 'smoke'}");
    // Protobuf has no overall length: a cut between trailing metadata entries cannot be seen, but
    // any cut before the metadata (inside the graph or before opset_import) must be.
    const end = bytes.indexOf(Buffer.from('names')) - 4;
    expect(end).toBeGreaterThan(100);
    for (let cut = 1; cut < end; cut += 3) expect(readOnnxFile(bytes.subarray(0, cut)).ok).toBe(false);
  });

  it('decides layouts from dims', () => {
    expect(decideLayout([1, 6, 2100], 'auto', 2)).toEqual({ ok: true, value: { layout: 'yolov8', classes: 2, count: 2100 } });
    expect(decideLayout([1, 84, 8400], 'auto', null)).toEqual({ ok: true, value: { layout: 'yolov8', classes: 80, count: 8400 } });
    expect(decideLayout([1, 6300, 7], 'auto', 2)).toEqual({ ok: true, value: { layout: 'yolov5', classes: 2, count: 6300 } });
    expect(decideLayout([1, 300, 6], 'auto', 2)).toEqual({ ok: true, value: { layout: 'end2end', classes: 2, count: 300 } });
    // One-class YOLOv5 with thousands of anchors is not end-to-end.
    expect(decideLayout([1, 6300, 6], 'auto', 1)).toEqual({ ok: true, value: { layout: 'yolov5', classes: 1, count: 6300 } });
    expect(decideLayout([1, 300, 6], 'auto', null).ok).toBe(false);
    expect(decideLayout([2, 6, 2100], 'auto', 2).ok).toBe(false);
  });
});

describe('letterbox fast paths equal the general bilinear path', () => {
  it.each([
    [640, 360],
    [320, 180],
    [320, 320],
  ])('%ix%i frame', (w, h) => {
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 131 + (i >> 7)) & 0xff;
    const fast = new Preprocessor(320, 320);
    fast.run(rgb, w, h);
    const generalOut = new Float32Array(3 * 320 * 320).fill(PAD_VALUE);
    bilinearInto(rgb, planLetterbox(w, h, 320, 320), generalOut);
    let maxDiff = 0;
    for (let i = 0; i < generalOut.length; i++) maxDiff = Math.max(maxDiff, Math.abs(generalOut[i] - fast.data[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });
});
