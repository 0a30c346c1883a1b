/**
 * Loading a labelled image folder for the eval tool (file I/O adapter): which images to score and
 * their ground truth, from an image-level labels.tsv or from YOLO label files (+ split.tsv).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import type { DatasetSpec } from './args.js';
import { parseImageLabels, parseSplitFile, parseYoloLabels, stem } from './labels.js';
import type { GtBox } from './stats.js';

/** One image to score and what is known about it. */
export interface LabelledImage {
  id: string;
  path: string;
  /** Per eval class: present? */
  present: boolean[];
  hard: boolean;
  /** Boxes in eval class ids, or null for image-level labels. */
  gt: GtBox[] | null;
}

/** A loaded dataset. */
export interface LoadedDataset {
  name: string;
  images: LabelledImage[];
  /** Problems that did not stop the run (missing images, unknown classes), for the log. */
  warnings: string[];
}

const IMAGE = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

function readText(path: string, what: string): Result<string> {
  try {
    return ok(readFileSync(path, 'utf8'));
  } catch (err) {
    return fail(`cannot read ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Default dataset name: `boxes` for `.../boxes/images`, else the folder name. */
function defaultName(dir: string): string {
  const abs = resolve(dir);
  return basename(abs) === 'images' ? basename(dirname(abs)) : basename(abs);
}

/** Reads one dataset's file list and labels. `classes` are the eval class names (YOLO id order). */
export function loadDataset(spec: DatasetSpec, classes: readonly string[], limit?: number): Result<LoadedDataset> {
  const warnings: string[] = [];
  const name = spec.name ?? defaultName(spec.images);
  let files: string[];
  try {
    files = readdirSync(spec.images).filter((f) => IMAGE.test(f)).sort();
  } catch (err) {
    return fail(`cannot list images folder ${spec.images}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const images: LabelledImage[] = [];
  if (spec.labels) {
    const text = readText(spec.labels, 'labels file');
    if (!text.ok) return text;
    const rows = parseImageLabels(text.value, spec.labels);
    if (!rows.ok) return rows;
    const byStem = new Map(files.map((f) => [stem(f), f]));
    const missingCols = classes.filter((c) => !rows.value.some((r) => c in r.classes));
    if (missingCols.length === classes.length) return fail(`labels file ${spec.labels} has none of the classes ${classes.join(', ')} as a 0/1 column`);
    if (missingCols.length) warnings.push(`labels file has no column for ${missingCols.join(', ')}: counted as absent`);
    let missing = 0;
    for (const r of rows.value) {
      if (spec.split !== undefined && r.split !== spec.split) continue;
      const file = byStem.get(stem(r.id));
      if (!file) {
        missing++;
        continue;
      }
      images.push({ id: stem(r.id), path: join(spec.images, file), present: classes.map((c) => r.classes[c] === true), hard: r.hard, gt: null });
    }
    if (missing) warnings.push(`${missing} labelled image(s) not found in ${spec.images}`);
  } else if (spec.yoloLabels) {
    let split: Map<string, string> | null = null;
    if (spec.splitFile) {
      const text = readText(spec.splitFile, 'split file');
      if (!text.ok) return text;
      const parsed = parseSplitFile(text.value, spec.splitFile);
      if (!parsed.ok) return parsed;
      split = parsed.value;
    } else if (spec.split !== undefined) {
      return fail(`--split ${spec.split} with --yolo-labels needs --split-file (the YOLO files carry no split)`);
    }
    let noLabel = 0;
    let unknownClass = 0;
    for (const f of files) {
      if (split && spec.split !== undefined && split.get(f) !== spec.split) continue;
      const lp = join(spec.yoloLabels, stem(f) + '.txt');
      // YOLO convention: no label file means no objects; counted so a wrong folder is noticed.
      let boxes: GtBox[] = [];
      if (existsSync(lp)) {
        const text = readText(lp, 'label file');
        if (!text.ok) return text;
        const parsed = parseYoloLabels(text.value, lp);
        if (!parsed.ok) return parsed;
        boxes = parsed.value.filter((b) => b.classId < classes.length);
        unknownClass += parsed.value.length - boxes.length;
      } else noLabel++;
      images.push({ id: stem(f), path: join(spec.images, f), present: classes.map((_, c) => boxes.some((b) => b.classId === c)), hard: false, gt: boxes });
    }
    if (noLabel) warnings.push(`${noLabel} image(s) without a label file in ${spec.yoloLabels}: counted as negatives`);
    if (unknownClass) warnings.push(`${unknownClass} box(es) with a class id ≥ ${classes.length} ignored (classes: ${classes.join(', ')})`);
  }
  if (images.length === 0) return fail(`dataset ${name}: no images selected from ${spec.images}${spec.split !== undefined ? ` with split ${spec.split}` : ''}`);
  return ok({ name, images: limit ? images.slice(0, limit) : images, warnings });
}
