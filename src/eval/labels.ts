/**
 * Parsers of the eval tool's ground truth (issue 6): the image-level `labels.tsv` of fire-dev's
 * photos/ (`id fire smoke kind hard note split`), YOLO box label files (`class cx cy w h`,
 * normalised) and fire-dev's `split.tsv` (`file source group split`). Pure: text in, values out.
 */
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import type { Box } from './stats.js';

/** One row of an image-level labels file. */
export interface ImageLabel {
  /** Image id (the file name without extension, or with it). */
  id: string;
  /** Class name → present. Every column whose values are all 0/1, except `hard`. */
  classes: Record<string, boolean>;
  hard: boolean;
  /** `kind` column (`wildfire`, `structure` …) or '-' */
  kind: string;
  split: string | null;
}

/** Columns that are never classes. */
const META = new Set(['id', 'file', 'kind', 'hard', 'note', 'split']);

/** Parses a tab-separated header + rows table (blank lines and `#` comments skipped). */
function parseTsv(text: string, what: string): Result<{ header: string[]; rows: string[][] }> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) return fail(`${what} is empty; expected a tab-separated header line`);
  const header = lines[0].split('\t').map((h) => h.trim());
  const rows: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split('\t');
    if (cells.length < header.length - 1) return fail(`${what} line ${i + 1} has ${cells.length} column(s), the header has ${header.length}`);
    rows.push(cells.map((c) => c.trim()));
  }
  return ok({ header, rows });
}

/**
 * Parses an image-level labels file. `id` (or `file`) is required; class columns are those holding
 * only 0/1 (fire, smoke); `hard`, `kind` and `split` are optional.
 */
export function parseImageLabels(text: string, what = 'labels file'): Result<ImageLabel[]> {
  const t = parseTsv(text, what);
  if (!t.ok) return t;
  const { header, rows } = t.value;
  const idCol = header.indexOf('id') >= 0 ? header.indexOf('id') : header.indexOf('file');
  if (idCol < 0) return fail(`${what} has no "id" column (header: ${header.join(', ')})`);
  const col = (name: string) => header.indexOf(name);
  const classCols = header
    .map((h, i) => ({ h, i }))
    .filter(({ h, i }) => !META.has(h) && rows.every((r) => r[i] === '0' || r[i] === '1'));
  if (classCols.length === 0) return fail(`${what} has no 0/1 class column (expected e.g. "fire" and "smoke")`);
  const out: ImageLabel[] = rows.map((r) => ({
    id: r[idCol],
    classes: Object.fromEntries(classCols.map(({ h, i }) => [h, r[i] === '1'])),
    hard: col('hard') >= 0 && r[col('hard')] === '1',
    kind: col('kind') >= 0 ? (r[col('kind')] ?? '-') : '-',
    split: col('split') >= 0 ? (r[col('split')] ?? null) : null,
  }));
  return ok(out);
}

/** A box of a YOLO label file, as a class id and a normalised x1, y1, x2, y2 box. */
export interface YoloBox {
  classId: number;
  box: Box;
}

/** Parses one YOLO label file; an empty file is an image without objects (a negative). */
export function parseYoloLabels(text: string, what = 'label file'): Result<YoloBox[]> {
  const out: YoloBox[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const p = line.split(/\s+/).map(Number);
    if (p.length !== 5 || p.some((v) => !Number.isFinite(v)) || !Number.isInteger(p[0]) || p[0] < 0) {
      return fail(`${what} line ${i + 1} "${line}" is not "class cx cy w h" (normalised numbers)`);
    }
    const [cls, cx, cy, w, h] = p;
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    out.push({ classId: cls, box: [clamp(cx - w / 2), clamp(cy - h / 2), clamp(cx + w / 2), clamp(cy + h / 2)] });
  }
  return ok(out);
}

/** Parses fire-dev's `split.tsv` into file name → split. */
export function parseSplitFile(text: string, what = 'split file'): Result<Map<string, string>> {
  const t = parseTsv(text, what);
  if (!t.ok) return t;
  const fileCol = t.value.header.indexOf('file');
  const splitCol = t.value.header.indexOf('split');
  if (fileCol < 0 || splitCol < 0) return fail(`${what} needs "file" and "split" columns (header: ${t.value.header.join(', ')})`);
  return ok(new Map(t.value.rows.map((r) => [r[fileCol], r[splitCol]])));
}

/** Strips a file name's image extension (`a.jpg` → `a`), so ids and file names can be matched. */
export function stem(name: string): string {
  return name.replace(/\.(jpe?g|png|webp|bmp|tiff?)$/i, '');
}
