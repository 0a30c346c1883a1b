/**
 * Command-line options of `wildfire-edge eval` (issue 6). Pure parsing with every error reported
 * together. Each `--images DIR` starts a dataset; the label options after it belong to it, so one
 * run can score boxes/ val and photos/ val together (the docs/detector.md false-alarm target counts both):
 *
 *   wildfire-edge eval --model m.onnx \
 *     --images boxes/images --yolo-labels boxes/labels --split-file boxes/split.tsv --split val \
 *     --images photos/images --labels photos/labels.tsv --split val --plot pr.png
 */
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';

/** One labelled image folder. */
export interface DatasetSpec {
  /** Name in the report (default: the folder's parent name, e.g. `boxes`). */
  name?: string;
  images: string;
  /** Image-level labels (photos/ `labels.tsv` format). */
  labels?: string;
  /** Folder of YOLO box label files (`<image stem>.txt`). */
  yoloLabels?: string;
  /** `file … split` table selecting images by split (fire-dev's `split.tsv`). */
  splitFile?: string;
  /** Keep only rows/files of this split. */
  split?: string;
}

/** Options of {@link runEval}. */
export interface EvalOptions {
  model: string;
  /** Labels file of the model (default: beside the model, else the ONNX `names`). */
  modelLabels?: string;
  layout?: 'auto' | 'yolov8' | 'yolov5' | 'end2end';
  /** Operating threshold (default: the model's sidecar JSON `threshold`, else 0.5). */
  threshold?: number;
  iouThreshold?: number;
  threads?: number;
  datasets: DatasetSpec[];
  /** Class names of the datasets, YOLO ids in order [fire, smoke]. */
  classes: string[];
  /** Write a precision/recall plot (PNG) here. */
  plot?: string;
  /** Evaluate only the first N images of each dataset (quick checks). */
  limit?: number;
  /** Lowest score collected for the sweep and AP [0.05]. */
  scoreFloor?: number;
  /**
   * Also report recall at the threshold where at most this share of the images with neither class
   * (all datasets pooled) show a box (issue 13, e.g. 0.02).
   */
  atFalseAlarm?: number;
}

/** Usage text printed on errors and `--help`. */
export const EVAL_USAGE = `usage: wildfire-edge eval --model FILE [--threshold T] [--iou T] [--threads N] [--layout auto|yolov8|yolov5|end2end]
         [--model-labels FILE] [--classes fire,smoke] [--plot FILE.png] [--limit N] [--score-floor T] [--at-false-alarm R]
         --images DIR (--labels labels.tsv | --yolo-labels DIR [--split-file split.tsv]) [--split val] [--name NAME]
         [--images DIR ... (more datasets, scored separately and together)]`;

const FLAGS = new Set(['--model', '--model-labels', '--layout', '--threshold', '--iou', '--threads', '--images', '--labels', '--yolo-labels', '--split-file', '--split', '--name', '--classes', '--plot', '--limit', '--score-floor', '--at-false-alarm']);

/** Parses argv (without the `eval` word). */
export function parseEvalArgs(argv: readonly string[]): Result<EvalOptions> {
  const errors: string[] = [];
  const opts: EvalOptions = { model: '', datasets: [], classes: ['fire', 'smoke'] };
  let defaultSplit: string | undefined;
  const num = (flag: string, v: string, lo: number, hi: number, int = false): number | undefined => {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n) || n < lo || n > hi || (int && !Number.isInteger(n))) {
      errors.push(`${flag} ${v}: expected ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`);
      return undefined;
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!FLAGS.has(flag)) {
      errors.push(`unknown argument ${flag}`);
      continue;
    }
    const v = argv[i + 1];
    if (v === undefined || (v.startsWith('--') && FLAGS.has(v))) {
      errors.push(`${flag} needs a value`);
      continue;
    }
    i++;
    const cur = opts.datasets[opts.datasets.length - 1];
    const needDataset = (set: (d: DatasetSpec) => void) => {
      if (cur) set(cur);
      else errors.push(`${flag} must follow the --images it belongs to`);
    };
    switch (flag) {
      case '--model': opts.model = v; break;
      case '--model-labels': opts.modelLabels = v; break;
      case '--layout':
        if (v === 'auto' || v === 'yolov8' || v === 'yolov5' || v === 'end2end') opts.layout = v;
        else errors.push(`--layout ${v}: expected auto, yolov8, yolov5 or end2end`);
        break;
      case '--threshold': opts.threshold = num(flag, v, 0, 1); break;
      case '--iou': opts.iouThreshold = num(flag, v, 0, 1); break;
      case '--threads': opts.threads = num(flag, v, 1, 256, true); break;
      case '--limit': opts.limit = num(flag, v, 1, 1e9, true); break;
      case '--score-floor': opts.scoreFloor = num(flag, v, 0, 1); break;
      case '--at-false-alarm': opts.atFalseAlarm = num(flag, v, 0, 1); break;
      case '--plot': opts.plot = v; break;
      case '--classes': opts.classes = v.split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--images': opts.datasets.push({ images: v }); break;
      case '--labels': needDataset((d) => (d.labels = v)); break;
      case '--yolo-labels': needDataset((d) => (d.yoloLabels = v)); break;
      case '--split-file': needDataset((d) => (d.splitFile = v)); break;
      case '--name': needDataset((d) => (d.name = v)); break;
      case '--split':
        if (cur) cur.split = v;
        else defaultSplit = v; // before any --images: applies to every dataset
        break;
    }
  }
  if (!opts.model) errors.push('--model FILE is required');
  if (opts.datasets.length === 0) errors.push('at least one --images DIR is required');
  opts.datasets.forEach((d, k) => {
    if (d.split === undefined && defaultSplit !== undefined) d.split = defaultSplit;
    if (!d.labels === !d.yoloLabels) errors.push(`dataset ${k + 1} (${d.images}) needs exactly one of --labels or --yolo-labels`);
    if (d.splitFile && d.labels) errors.push(`dataset ${k + 1}: --split-file is for --yolo-labels; a labels.tsv carries its own split column`);
  });
  if (opts.classes.length === 0) errors.push('--classes needs at least one name');
  if (opts.threshold !== undefined && opts.scoreFloor !== undefined && opts.scoreFloor > opts.threshold) errors.push('--score-floor must not exceed --threshold');
  return errors.length ? fail(`${errors.join('; ')}\n${EVAL_USAGE}`) : ok(opts);
}
