import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDetector, type Detector, type RawDetection } from '../../src/detect/detector.js';

const FIX = 'test/fixtures/models';
const tmp = mkdtempSync(join(tmpdir(), 'wfe-det-'));
const open: Detector[] = [];
afterAll(async () => {
  for (const d of open) await d.close();
});

async function load(model: string, extra: Partial<Parameters<typeof createDetector>[0]> = {}): Promise<Detector> {
  const r = await createDetector({ modelPath: join(FIX, model), threshold: 0.5, threads: 1, ...extra });
  if (!r.ok) throw new Error(r.reason);
  open.push(r.value);
  return r.value;
}

const frame = (w: number, h: number) => new Uint8Array(w * h * 3);
const round = (ds: RawDetection[]) => ds.map((d) => ({ label: d.label, classId: d.classId, score: +d.score.toFixed(4), box: d.box.map((v) => +v.toFixed(4)) }));
const r4 = (v: number) => +v.toFixed(4);

// The fixture scenario (make-fixtures.py ROWS), in 320x320 input pixels; for a 640x360 frame the
// letterbox gain is 0.5 with 70 px of padding top and bottom.
const landscape = (x1: number, y1: number, x2: number, y2: number) => [x1 / 320, (y1 - 70) / 180, x2 / 320, (y2 - 70) / 180].map(r4);
const EXPECTED_050 = [
  { label: 'fire', classId: 0, score: 0.9, box: landscape(80, 90, 120, 110) },
  { label: 'smoke', classId: 1, score: 0.7, box: landscape(80, 90, 120, 110) },
  { label: 'fire', classId: 0, score: 0.5, box: landscape(200, 200, 260, 240) },
];

describe('createDetector on fixture models', () => {
  it.each(['yolov8-const.onnx', 'yolov5-const.onnx'])('%s: exact boxes, classes and scores; NMS per class; 0.5 inclusive', async (m) => {
    const d = await load(m);
    expect(d.labels).toEqual(['fire', 'smoke']);
    expect(d.inputSize).toEqual({ width: 320, height: 320 });
    expect(round(await d.detect(frame(640, 360), 640, 360))).toEqual(EXPECTED_050);
  });

  it('auto layout: yolov8 from symbolic dims, yolov5, end2end; labels from names metadata or labels file', async () => {
    expect((await load('yolov8-const.onnx')).layout).toBe('yolov8');
    const v5 = await load('yolov5-const.onnx');
    expect(v5.layout).toBe('yolov5');
    expect(v5.labelsSource).toBe('labels-file'); // yolov5-const.labels.txt beside it (no metadata)
    const e2e = await load('end2end-const.onnx');
    expect(e2e.layout).toBe('end2end');
    expect(e2e.labelsSource).toBe('onnx-names');
  });

  it('end2end: rows are final (no NMS), threshold inclusive', async () => {
    const d = await load('end2end-const.onnx');
    const got = round(await d.detect(frame(640, 360), 640, 360));
    // The 0.8 fire row overlapping the 0.9 one is NOT suppressed: end-to-end models did that already.
    expect(got).toEqual([EXPECTED_050[0], { label: 'fire', classId: 0, score: 0.8, box: landscape(82, 91, 122, 111) }, EXPECTED_050[1], EXPECTED_050[2]]);
  });

  it('end2end with a row count that changes with the image: every frame decodes (no preallocated output to outgrow)', async () => {
    const d = await load('end2end-dynamic.onnx');
    expect(d.layout).toBe('end2end');
    const white = new Uint8Array(320 * 320 * 3).fill(255); // 20 rows: the 0.9 fire at row 15 is in
    const black = new Uint8Array(320 * 320 * 3); // 0 rows
    for (const [f, n] of [[black, 0], [white, 1], [black, 0], [white, 1], [white, 1]] as const) {
      expect((await d.detect(f, 320, 320)).length).toBe(n);
    }
  });

  it('NMS: a looser IoU threshold keeps the overlapping box', async () => {
    const d = await load('yolov8-const.onnx', { iouThreshold: 0.9 });
    const got = await d.detect(frame(640, 360), 640, 360);
    expect(got.map((x) => r4(x.score))).toEqual([0.9, 0.8, 0.7, 0.5]);
  });

  it('threshold edges: just above 0.5 drops the 0.5 box; 0.3 adds the weak fire and the 0.49 smoke', async () => {
    const hi = await load('yolov8-const.onnx', { threshold: 0.5000001 });
    expect((await hi.detect(frame(640, 360), 640, 360)).map((x) => r4(x.score))).toEqual([0.9, 0.7]);
    const lo = await load('yolov5-const.onnx', { threshold: 0.3 });
    // A square frame maps 1:1 (no padding), so every row of the scenario is inside the frame.
    const got = round(await lo.detect(frame(320, 320), 320, 320));
    expect(got.map((x) => x.score)).toEqual([0.9, 0.7, 0.5, 0.49, 0.3]);
    expect(got[3]).toEqual({ label: 'smoke', classId: 1, score: 0.49, box: [10 / 320, 10 / 320, 30 / 320, 30 / 320].map(r4) });
    // In a 640x360 frame the 0.49 and 0.3 boxes lie in the top padding: they map to nothing.
    expect((await lo.detect(frame(640, 360), 640, 360)).map((x) => r4(x.score))).toEqual([0.9, 0.7, 0.5]);
  });

  it('letterbox mapping for a portrait frame: padding left/right, clamped at the edge, boxes inside padding dropped', async () => {
    const d = await load('yolov8-const.onnx', { threshold: 0.3 });
    // 360x640 → gain 0.5, 180 px wide image, 70 px of padding left and right.
    const p = (x1: number, y1: number, x2: number, y2: number) => [(x1 - 70) / 180, y1 / 320, (x2 - 70) / 180, y2 / 320].map((v) => r4(Math.min(1, Math.max(0, v))));
    const got = round(await d.detect(frame(360, 640), 360, 640));
    expect(got).toEqual([
      { label: 'fire', classId: 0, score: 0.9, box: p(80, 90, 120, 110) },
      { label: 'smoke', classId: 1, score: 0.7, box: p(80, 90, 120, 110) },
      { label: 'fire', classId: 0, score: 0.5, box: p(200, 200, 260, 240) },
      { label: 'fire', classId: 0, score: 0.3, box: p(150, 20, 170, 60) },
    ]);
    // The 0.49 smoke box (10..30 px) lies entirely in the left padding: mapped to nothing, dropped.
    expect(got[2].box[2]).toBe(1);
  });

  it('refuses a frame smaller than its stated size', async () => {
    const d = await load('yolov8-const.onnx');
    await expect(d.detect(new Uint8Array(10), 640, 360)).rejects.toThrow(/smaller than 640x360x3/);
    // The detector still works afterwards.
    expect(await d.detect(frame(640, 360), 640, 360)).toHaveLength(3);
  });
});

describe('model refusal messages', () => {
  const refuse = async (modelPath: string, extra: Record<string, unknown> = {}) => {
    const r = await createDetector({ modelPath, threshold: 0.5, threads: 1, ...extra });
    expect(r.ok).toBe(false);
    return r.ok ? '' : r.reason;
  };

  it('missing file', async () => {
    expect(await refuse(join(tmp, 'none.onnx'))).toMatch(/model file not found: .*none\.onnx/);
  });

  it('truncated file', async () => {
    const bytes = readFileSync(join(FIX, 'bench-yolo-320.onnx'));
    const p = join(tmp, 'trunc.onnx');
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(await refuse(p)).toMatch(/trunc\.onnx .*truncated.*re-copy or re-export/);
  });

  it('corrupt file (not protobuf)', async () => {
    const p = join(tmp, 'corrupt.onnx');
    writeFileSync(p, Buffer.from('this is certainly not an ONNX model, just text '.repeat(20)));
    expect(await refuse(p)).toMatch(/corrupt\.onnx/);
  });

  it('empty file', async () => {
    const p = join(tmp, 'empty.onnx');
    writeFileSync(p, '');
    expect(await refuse(p)).toMatch(/only 0 bytes/);
  });

  it('wrong input shape names expected and found', async () => {
    expect(await refuse(join(FIX, 'bad-input.onnx'))).toMatch(/input images is float32 \[1, 1, 320, 320\].*expected one float32 input \[1, 3, H, W\]/);
  });

  it('wrong output rank names expected and found', async () => {
    expect(await refuse(join(FIX, 'bad-output.onnx'))).toMatch(/output has shape \[1, 10\]; expected \[1, 6, anchors\] \(yolov8\/YOLO11\), \[1, anchors, 7\] \(yolov5\) or \[1, N, 6\]/);
  });

  it('class count of the output differs from the names', async () => {
    expect(await refuse(join(FIX, 'bad-classes.onnx'))).toMatch(/\[1, 7, 8\], which fits no YOLO layout \(the class count/);
  });

  it('a names entry with an absurd class index is refused, not allocated for', async () => {
    expect(await refuse(join(FIX, 'bad-names.onnx'))).toMatch(/names has class index 1000000000 \(at most 4096 classes\)/);
  });

  it('configured layout that does not fit', async () => {
    expect(await refuse(join(FIX, 'yolov8-const.onnx'), { layout: 'yolov5' })).toMatch(/\[1, 6, 8\], which does not fit detect.layout yolov5/);
  });

  it('labels file with a different class count than the output', async () => {
    const p = join(tmp, 'three.txt');
    writeFileSync(p, 'fire\nsmoke\nsteam\n');
    expect(await refuse(join(FIX, 'yolov8-const.onnx'), { labelsPath: p })).toMatch(/with C = 3 classes/);
  });

  it('a sidecar .json whose inputSize differs from the model input', async () => {
    const dir = mkdtempSync(join(tmp, 'side-'));
    writeFileSync(join(dir, 'm.onnx'), readFileSync(join(FIX, 'yolov8-const.onnx')));
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'm', inputSize: 640, classes: ['fire', 'smoke'] }));
    expect(await refuse(join(dir, 'm.onnx'))).toMatch(/input is \[1, 3, 320, 320\] but the model's \.json sidecar says inputSize 640/);
    writeFileSync(join(dir, 'm.json'), '{broken');
    expect(await refuse(join(dir, 'm.onnx'))).toMatch(/m\.json is not valid JSON/);
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ name: 'wfe-test', inputSize: 320 }));
    const ok = await createDetector({ modelPath: join(dir, 'm.onnx'), threshold: 0.5, threads: 1 });
    expect(ok.ok && ok.value.modelName).toBe('wfe-test');
    if (ok.ok) await ok.value.close();
  });

  it('a labels file overrides the names metadata', async () => {
    const p = join(tmp, 'ab.txt');
    writeFileSync(p, '# comment\nflame\nhaze\n');
    const d = await load('yolov8-const.onnx', { labelsPath: p });
    expect(d.labels).toEqual(['flame', 'haze']);
    expect((await d.detect(frame(320, 320), 320, 320)).map((x) => x.label)).toEqual(['flame', 'haze', 'flame']);
  });
});
