import { describe, expect, it } from 'vitest';
import { parseEvalArgs } from '../../src/eval/args.js';
import { parseImageLabels, parseSplitFile, parseYoloLabels, stem } from '../../src/eval/labels.js';

describe('parseEvalArgs', () => {
  it('reads one image-level dataset', () => {
    const r = parseEvalArgs(['--model', 'm.onnx', '--images', 'p/images', '--labels', 'p/labels.tsv', '--split', 'val']);
    expect(r).toEqual({ ok: true, value: { model: 'm.onnx', classes: ['fire', 'smoke'], datasets: [{ images: 'p/images', labels: 'p/labels.tsv', split: 'val' }] } });
  });
  it('gives label options to the --images they follow, and a leading --split to all', () => {
    const r = parseEvalArgs(['--split', 'val', '--model', 'm.onnx', '--threshold', '0.4', '--images', 'b', '--yolo-labels', 'bl', '--split-file', 's.tsv', '--images', 'p', '--labels', 'l.tsv', '--split', 'train', '--plot', 'x.png']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.threshold).toBe(0.4);
    expect(r.value.plot).toBe('x.png');
    expect(r.value.datasets).toEqual([
      { images: 'b', yoloLabels: 'bl', splitFile: 's.tsv', split: 'val' },
      { images: 'p', labels: 'l.tsv', split: 'train' },
    ]);
  });
  it('reads --at-false-alarm as a rate in [0, 1]', () => {
    const r = parseEvalArgs(['--model', 'm.onnx', '--at-false-alarm', '0.02', '--images', 'p', '--labels', 'l.tsv']);
    expect(r.ok && r.value.atFalseAlarm).toBe(0.02);
    const bad = parseEvalArgs(['--model', 'm.onnx', '--at-false-alarm', '2', '--images', 'p', '--labels', 'l.tsv']);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toContain('--at-false-alarm 2');
  });
  it('reports every error together', () => {
    const r = parseEvalArgs(['--labels', 'x.tsv', '--threshold', '2', '--bogus', '--images', 'a']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toContain('--labels must follow the --images');
    expect(r.reason).toContain('--threshold 2');
    expect(r.reason).toContain('unknown argument --bogus');
    expect(r.reason).toContain('--model FILE is required');
    expect(r.reason).toContain('needs exactly one of --labels or --yolo-labels');
  });
  it('refuses a flag without its value', () => {
    const r = parseEvalArgs(['--model', '--images', 'a', '--labels', 'l']);
    expect(r.ok).toBe(false);
  });
});

describe('label parsers', () => {
  it('parses photos/ labels.tsv with class columns found by their 0/1 values', () => {
    const text = 'id\tfire\tsmoke\tkind\thard\tnote\tsplit\nimg_a\t1\t0\tcampfire\t0\tnight\ttrain\nimg_b\t0\t0\t-\t1\tsunset\tval\n';
    const r = parseImageLabels(text);
    expect(r).toEqual({
      ok: true,
      value: [
        { id: 'img_a', classes: { fire: true, smoke: false }, hard: false, kind: 'campfire', split: 'train' },
        { id: 'img_b', classes: { fire: false, smoke: false }, hard: true, kind: '-', split: 'val' },
      ],
    });
  });
  it('refuses a labels file without id or class columns', () => {
    expect(parseImageLabels('name\tfire\nx\t1\n').ok).toBe(false);
    expect(parseImageLabels('id\tnote\nx\thello\n').ok).toBe(false);
  });
  it('parses YOLO rows into clamped normalised corners; empty means negative', () => {
    const r = parseYoloLabels('0 0.5 0.5 0.2 0.4\n1 0.05 0.5 0.2 0.2\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value[0].classId).toBe(0);
    expect(r.value[0].box.map((v) => +v.toFixed(6))).toEqual([0.4, 0.3, 0.6, 0.7]);
    expect(r.value[1].box[0]).toBe(0);
    expect(parseYoloLabels('')).toEqual({ ok: true, value: [] });
    expect(parseYoloLabels('0 0.5 0.5 0.2').ok).toBe(false);
    expect(parseYoloLabels('fire 0.5 0.5 0.2 0.2').ok).toBe(false);
  });
  it('parses split.tsv and strips image extensions', () => {
    const r = parseSplitFile('file\tsource\tgroup\tsplit\na.jpg\thot-fire\t1\tval\nb.jpg\thot-fire\t2\ttrain\n');
    expect(r.ok && r.value.get('a.jpg')).toBe('val');
    expect(stem('x.rf.123.JPG')).toBe('x.rf.123');
    expect(stem('img_1')).toBe('img_1');
  });
});
