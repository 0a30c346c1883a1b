/**
 * The eval tool's I/O adapter (issue 6): decodes each labelled image with sharp to raw RGB and runs
 * it through the REAL runtime path (the detector's letterbox, ONNX session, decode, NMS and
 * threshold), then writes the optional PNG plot (SVG rendered by sharp).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import { createDetector } from '../detect/detector.js';
import type { EvalOptions } from './args.js';
import { loadDataset } from './dataset.js';
import type { Panel } from './plot.js';
import { renderPlot } from './plot.js';
import type { EvalReport, ImageRecord } from './report.js';
import { buildReport } from './report.js';
import type { PredBox } from './stats.js';

/** Decoded rgb24 pixels of one image. */
interface Rgb {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Decodes an image file to rgb24 (alpha dropped, grey expanded); EXIF orientation is not applied,
 *  matching how the training images and their YOLO boxes were read. */
async function decode(path: string): Promise<Rgb> {
  const { data, info } = await sharp(path).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The operating threshold: the option, else the model's sidecar JSON, else 0.5. */
function operatingThreshold(opts: EvalOptions): { value: number; source: EvalReport['thresholdSource'] } {
  if (opts.threshold !== undefined) return { value: opts.threshold, source: 'option' };
  const side = join(dirname(opts.model), basename(opts.model, extname(opts.model)) + '.json');
  if (existsSync(side)) {
    try {
      const t = (JSON.parse(readFileSync(side, 'utf8')) as { threshold?: unknown }).threshold;
      if (typeof t === 'number' && t >= 0 && t <= 1) return { value: t, source: 'sidecar' };
    } catch {
      // A broken sidecar is refused by createDetector with a precise message; fall through.
    }
  }
  return { value: 0.5, source: 'default' };
}

/** Runs the evaluation; `progress` receives one line every 100 images (stderr in the CLI). */
export async function evaluate(opts: EvalOptions, progress: (line: string) => void = () => undefined): Promise<Result<EvalReport>> {
  const op = operatingThreshold(opts);
  const floor = Math.min(opts.scoreFloor ?? 0.05, op.value);
  const loaded = [];
  for (const spec of opts.datasets) {
    const d = loadDataset(spec, opts.classes, opts.limit);
    if (!d.ok) return d;
    for (const w of d.value.warnings) progress(`${d.value.name}: ${w}`);
    loaded.push(d.value);
  }
  // The detector runs at the score floor; the sweep and the operating point filter its scores.
  // That equals running at each threshold: decoding keeps each anchor's best class whatever the
  // threshold, and greedy NMS never lets a lower score suppress a higher one.
  const det = await createDetector({
    modelPath: opts.model,
    labelsPath: opts.modelLabels,
    layout: opts.layout ?? 'auto',
    threshold: floor,
    iouThreshold: opts.iouThreshold ?? 0.45,
    threads: opts.threads,
    maxDetections: 300,
  });
  if (!det.ok) return det;
  const detector = det.value;
  // Model class id → eval class id, by name (a drop-in model may order its classes differently).
  const map = detector.labels.map((l) => opts.classes.indexOf(l));
  if (!map.some((c) => c >= 0)) {
    await detector.close();
    return fail(`the model's classes (${detector.labels.join(', ')}) include none of the evaluated ones (${opts.classes.join(', ')}); pass --classes or --model-labels`);
  }
  const t0 = process.hrtime.bigint();
  let count = 0;
  const datasets: Array<{ name: string; records: ImageRecord[] }> = [];
  try {
    for (const d of loaded) {
      const records: ImageRecord[] = [];
      for (const im of d.images) {
        let rgb: Rgb;
        try {
          rgb = await decode(im.path);
        } catch (err) {
          return fail(`cannot decode ${im.path}: ${err instanceof Error ? err.message : String(err)}`);
        }
        const found = await detector.detect(rgb.data, rgb.width, rgb.height);
        const maxScore = opts.classes.map(() => 0);
        const pred: PredBox[] = [];
        for (const f of found) {
          const c = map[f.classId] ?? -1;
          if (c < 0) continue;
          pred.push({ classId: c, score: f.score, box: f.box });
          if (f.score > maxScore[c]) maxScore[c] = f.score;
        }
        records.push({ id: im.id, dataset: d.name, present: im.present, hard: im.hard, maxScore, gt: im.gt, pred });
        if (++count % 100 === 0) progress(`eval: ${count} images`);
      }
      datasets.push({ name: d.name, records });
    }
  } finally {
    await detector.close();
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / Math.max(1, count);
  const report = buildReport({ model: opts.model, classes: opts.classes, threshold: op.value, thresholdSource: op.source, scoreFloor: floor, datasets, msPerImage: ms, atFalseAlarm: opts.atFalseAlarm });
  if (opts.plot) {
    const written = await writePlot(report, opts.plot);
    if (!written.ok) return written;
  }
  return ok(report);
}

/** Renders the report's curves to SVG and converts it to PNG with sharp. */
async function writePlot(r: EvalReport, file: string): Promise<Result<void>> {
  const boxPanel: Panel = {
    title: 'Box level (IoU 0.5)',
    xLabel: 'recall',
    yLabel: 'precision',
    series: r.classes
      .map((name, c) => ({ name, curve: r.curves[c], ap: r.all.ap50[c] }))
      .filter((s) => s.ap !== null)
      .map((s) => {
        const at = [...s.curve.curve].reverse().find((p) => p.score >= r.threshold);
        return {
          name: `${s.name} AP50 ${(s.ap ?? 0).toFixed(3)}`,
          points: s.curve.curve.map((p) => ({ x: p.recall, y: p.precision })),
          mark: at ? { x: at.recall, y: at.precision, label: `t=${r.threshold}` } : undefined,
        };
      }),
  };
  const fa = r.sweep.map((s) => s.falseAlarm.rate ?? 0);
  const imagePanel: Panel = {
    title: 'Image level (threshold sweep)',
    xLabel: 'false-alarm rate (images with neither class)',
    yLabel: 'recall (images with the class)',
    xMax: Math.min(1, Math.max(0.1, Math.ceil(Math.max(...fa) * 10) / 10)),
    series: r.classes.map((name, c) => {
      const op = r.sweep.find((s) => s.threshold === r.threshold);
      return {
        name: `${name}`,
        points: r.sweep.map((s) => ({ x: s.falseAlarm.rate ?? 0, y: s.recall[c].rate ?? 0 })),
        mark: op ? { x: op.falseAlarm.rate ?? 0, y: op.recall[c].rate ?? 0, label: `t=${r.threshold}` } : undefined,
      };
    }),
  };
  const svg = renderPlot([boxPanel, imagePanel], `${basename(r.model)}  datasets: ${r.datasets.map((d) => `${d.name} (${d.images})`).join(', ')}  operating threshold ${r.threshold}`);
  try {
    await sharp(Buffer.from(svg)).png().toFile(file);
    return ok(undefined);
  } catch (err) {
    return fail(`cannot write plot ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
