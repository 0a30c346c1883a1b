/**
 * Turns per-image outcomes into the eval report and its human-readable table (issue 6). Pure.
 */
import type { ApResult, GtBox, ImageLevel, ImageOutcome, PredBox, Proportion } from './stats.js';
import { averagePrecision, imageLevel, sweep, thresholdAtFalseAlarm } from './stats.js';

/** Everything the runner learnt about one image. */
export interface ImageRecord extends ImageOutcome {
  /** Ground-truth boxes (eval class ids) or null when the dataset has image-level labels only. */
  gt: GtBox[] | null;
  /** All detections down to the score floor (eval class ids). */
  pred: PredBox[];
}

/** Figures of one dataset (or of all together). */
export interface DatasetReport {
  name: string;
  images: number;
  /** Image-level figures at the operating threshold. */
  operating: ImageLevel;
  /** Per class AP at IoU 0.5, null when the dataset has no boxes of that class. */
  ap50: Array<number | null>;
  /** Per class number of ground-truth boxes. */
  boxes: number[];
}

/** The whole report; its JSON form is the last line of the eval command's output. */
export interface EvalReport {
  model: string;
  classes: string[];
  threshold: number;
  thresholdSource: 'option' | 'sidecar' | 'default';
  /** Lowest score collected (detections below it are invisible to the sweep). */
  scoreFloor: number;
  datasets: DatasetReport[];
  /** All datasets together (the docs/detector.md false-alarm target counts boxes/ val + photos/ val). */
  all: DatasetReport;
  /** Image-level sweep over all datasets together. */
  sweep: ImageLevel[];
  /** Per class box-level PR curves over all images with boxes (for the plot; omitted from JSON). */
  curves: ApResult[];
  /** Ids of the images behind the errors at the operating threshold (at most 50 each). */
  failures: { falseAlarms: string[]; missed: Record<string, string[]> };
  /** Mean wall time per image of decode + detect, in ms. */
  msPerImage: number;
  /**
   * With `--at-false-alarm R`: the threshold at which at most R of the images with neither class
   * (all datasets pooled) show any box, and the image-level figures there, per dataset and all
   * together. Omitted without the option.
   */
  atFalseAlarm?: AtFalseAlarm;
}

/** Image-level figures at the threshold that holds false alarms to a target rate. */
export interface AtFalseAlarm {
  target: number;
  /** Null when the datasets hold no image with neither class. */
  threshold: number | null;
  datasets: Array<{ name: string; level: ImageLevel | null }>;
  all: ImageLevel | null;
}

/** Builds a dataset report from its records. */
export function datasetReport(name: string, records: readonly ImageRecord[], classCount: number, threshold: number): DatasetReport {
  const withBoxes = records.filter((r) => r.gt !== null).map((r) => ({ gt: r.gt ?? [], pred: r.pred }));
  const ap50: Array<number | null> = [];
  const boxes: number[] = [];
  for (let c = 0; c < classCount; c++) {
    const res = averagePrecision(withBoxes, c, 0.5);
    ap50.push(res.ap);
    boxes.push(res.gtCount);
  }
  return { name, images: records.length, operating: imageLevel(records, classCount, threshold), ap50, boxes };
}

/** Assembles the full report from the records of each dataset. */
export function buildReport(args: {
  model: string;
  classes: string[];
  threshold: number;
  thresholdSource: EvalReport['thresholdSource'];
  scoreFloor: number;
  datasets: Array<{ name: string; records: ImageRecord[] }>;
  msPerImage: number;
  /** Report recall at this false-alarm rate too (pooled negatives of all datasets). */
  atFalseAlarm?: number;
}): EvalReport {
  const n = args.classes.length;
  const all = args.datasets.flatMap((d) => d.records);
  const tag = (r: ImageRecord) => (args.datasets.length > 1 ? `${r.dataset}:${r.id}` : r.id);
  const missed: Record<string, string[]> = {};
  args.classes.forEach((name, c) => {
    missed[name] = all.filter((r) => r.present[c] && !(r.maxScore[c] >= args.threshold)).slice(0, 50).map(tag);
  });
  const falseAlarms = all.filter((r) => !r.present.some(Boolean) && r.maxScore.some((s) => s >= args.threshold)).slice(0, 50).map(tag);
  const boxed = all.filter((r) => r.gt !== null).map((r) => ({ gt: r.gt ?? [], pred: r.pred }));
  return {
    model: args.model,
    classes: args.classes,
    threshold: args.threshold,
    thresholdSource: args.thresholdSource,
    scoreFloor: args.scoreFloor,
    datasets: args.datasets.map((d) => datasetReport(d.name, d.records, n, args.threshold)),
    all: datasetReport('all', all, n, args.threshold),
    sweep: sweep(all, n, args.threshold),
    curves: args.classes.map((_, c) => averagePrecision(boxed, c, 0.5)),
    failures: { falseAlarms, missed },
    msPerImage: args.msPerImage,
    ...(args.atFalseAlarm === undefined ? {} : { atFalseAlarm: atFalseAlarm(args.datasets, all, n, args.atFalseAlarm, args.scoreFloor) }),
  };
}

function atFalseAlarm(datasets: ReadonlyArray<{ name: string; records: ImageRecord[] }>, all: readonly ImageRecord[], n: number, target: number, floor: number): AtFalseAlarm {
  const t = thresholdAtFalseAlarm(all, target, floor);
  return {
    target,
    threshold: t,
    datasets: datasets.map((d) => ({ name: d.name, level: t === null ? null : imageLevel(d.records, n, t) })),
    all: t === null ? null : imageLevel(all, n, t),
  };
}

const pct = (p: Proportion) => (p.rate === null ? 'n/a' : `${p.rate.toFixed(3)} [${p.ci95?.low.toFixed(3)}, ${p.ci95?.high.toFixed(3)}] (${p.k}/${p.n})`);
const pad = (s: string, w: number) => (s.length >= w ? s : s + ' '.repeat(w - s.length));

/** The human-readable tables (everything but the final JSON line). */
export function formatReport(r: EvalReport): string {
  const lines: string[] = [];
  lines.push(`model ${r.model}  threshold ${r.threshold} (${r.thresholdSource})  classes ${r.classes.join(', ')}  ${r.msPerImage.toFixed(1)} ms/image (decode + detect)`);
  lines.push('');
  lines.push(`${pad('dataset', 16)}${pad('class', 8)}${pad('image-level recall [95% CI] (k/n)', 40)}${pad('class false alarms', 38)}AP50`);
  for (const d of [...r.datasets, ...(r.datasets.length > 1 ? [r.all] : [])]) {
    r.classes.forEach((name, c) => {
      const ap = d.ap50[c];
      lines.push(`${pad(c === 0 ? `${d.name} (${d.images})` : '', 16)}${pad(name, 8)}${pad(pct(d.operating.recall[c]), 40)}${pad(pct(d.operating.classFalseAlarm[c]), 38)}${ap === null ? '-' : `${ap.toFixed(3)} (${d.boxes[c]} boxes)`}`);
    });
    lines.push(`${pad('', 16)}${pad('any', 8)}${pad(pct(d.operating.anyRecall), 40)}false alarms on images with neither class: ${pct(d.operating.falseAlarm)}; hard negatives: ${pct(d.operating.hardFalseAlarm)}`);
  }
  lines.push('');
  lines.push(`threshold sweep (all datasets, image level)`);
  lines.push(`${pad('thr', 7)}${r.classes.map((c) => pad(`${c} recall`, 14) + pad(`${c} prec`, 12)).join('')}${pad('any recall', 12)}${pad('false alarm', 13)}hard FA`);
  for (const s of r.sweep) {
    const v = (p: Proportion) => (p.rate === null ? 'n/a' : p.rate.toFixed(3));
    const mark = s.threshold === r.threshold ? ' <- operating' : '';
    lines.push(`${pad(s.threshold.toFixed(3), 7)}${r.classes.map((_, c) => pad(v(s.recall[c]), 14) + pad(v(s.precision[c]), 12)).join('')}${pad(v(s.anyRecall), 12)}${pad(v(s.falseAlarm), 13)}${v(s.hardFalseAlarm)}${mark}`);
  }
  if (r.atFalseAlarm) {
    const a = r.atFalseAlarm;
    lines.push('');
    if (a.threshold === null || !a.all) lines.push(`at ${a.target} false alarms: no image with neither class, no threshold`);
    else {
      lines.push(`at false alarms <= ${a.target} (pooled negatives of all datasets): threshold ${a.threshold.toFixed(4)}, false alarms ${pct(a.all.falseAlarm)}, hard negatives ${pct(a.all.hardFalseAlarm)}`);
      for (const d of [...a.datasets.map((x) => ({ name: x.name, level: x.level })), ...(a.datasets.length > 1 ? [{ name: 'all', level: a.all }] : [])]) {
        if (!d.level) continue;
        const lv = d.level;
        lines.push(`${pad(d.name, 16)}${r.classes.map((c, k) => `${c} recall ${pct(lv.recall[k])}`).join('  ')}  any ${pct(lv.anyRecall)}`);
      }
    }
  }
  lines.push('');
  lines.push(`false alarms (${r.failures.falseAlarms.length}): ${r.failures.falseAlarms.join(' ') || '-'}`);
  for (const [name, ids] of Object.entries(r.failures.missed)) lines.push(`missed ${name} (${ids.length}${ids.length === 50 ? '+' : ''}): ${ids.join(' ') || '-'}`);
  return lines.join('\n');
}

/** The one-line JSON summary (curves left out: they are for the plot). */
export function reportJson(r: EvalReport): string {
  const { curves: _curves, ...rest } = r;
  return JSON.stringify(rest);
}
