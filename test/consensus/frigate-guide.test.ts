import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The README's "run the model inside Frigate" snippet, checked against Frigate's own config schema
// (frigate/detectors/detector_config.py, ModelConfig with extra="forbid": these are its fields and
// enum values) and against the model it names, so the guide cannot drift from either.
const MODEL_CONFIG_FIELDS = ['path', 'labelmap_path', 'width', 'height', 'labelmap', 'attributes_map', 'input_tensor', 'input_pixel_format', 'input_dtype', 'model_type'];
const MODEL_TYPES = ['dfine', 'rfdetr', 'ssd', 'yolox', 'yolonas', 'yolo-generic'];
const INPUT_TENSORS = ['nchw', 'nhwc', 'hwnc', 'hwcn'];
const PIXEL_FORMATS = ['rgb', 'bgr', 'yuv'];
const DTYPES = ['float', 'float_denorm', 'int'];

function guide(): { detectors: Record<string, { type: string }>; model: Record<string, unknown>; objects: { track: string[] } } {
  const readme = readFileSync('README.md', 'utf8');
  const m = /<!-- frigate-config:begin[^>]*-->\s*```yaml\n([\s\S]*?)```\s*<!-- frigate-config:end -->/.exec(readme);
  expect(m, 'README has the Frigate config block').not.toBeNull();
  return parse(m![1]) as ReturnType<typeof guide>;
}

describe('README: the shipped model as a Frigate detector', () => {
  it('uses only fields and values Frigate accepts', () => {
    const g = guide();
    expect(Object.values(g.detectors).map((d) => d.type)).toEqual(['onnx']);
    for (const k of Object.keys(g.model)) expect(MODEL_CONFIG_FIELDS, `model.${k}`).toContain(k);
    expect(MODEL_TYPES).toContain(g.model.model_type);
    expect(INPUT_TENSORS).toContain(g.model.input_tensor);
    expect(PIXEL_FORMATS).toContain(g.model.input_pixel_format);
    expect(DTYPES).toContain(g.model.input_dtype);
  });

  it('matches the model it names: file, input size, layout, NCHW RGB 0..1, labels in class order', () => {
    const g = guide();
    const onnx = basename(String(g.model.path));
    const card = JSON.parse(readFileSync(join('models', onnx.replace(/\.onnx$/, '.json')), 'utf8')) as { file: string; inputSize: number; layout: string; classes: string[] };
    expect(card.file).toBe(onnx);
    expect(existsSync(join('models', onnx))).toBe(true);
    expect(g.model.width).toBe(card.inputSize);
    expect(g.model.height).toBe(card.inputSize);
    // Frigate's yolo-generic post-processing reads the YOLOv8 [1, 4 + classes, anchors] output.
    expect(card.layout).toBe('yolov8');
    expect([g.model.input_tensor, g.model.input_pixel_format, g.model.input_dtype]).toEqual(['nchw', 'rgb', 'float']);
    // Frigate's load_labels: a file without indices maps line n to class n.
    const labels = readFileSync(join('models', basename(String(g.model.labelmap_path))), 'utf8').trim().split('\n');
    expect(labels).toEqual(card.classes);
    expect(g.objects.track.sort()).toEqual([...card.classes].sort());
  });
});
