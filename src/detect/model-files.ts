/**
 * Reading the model file and its companions (docs/detector.md "Model format"): the ONNX file's framing
 * and `names` metadata, an optional sidecar `<model>.json` (the project's model card data:
 * `{name, inputSize, classes, threshold}`) and an optional labels file. File I/O lives here so the
 * detector's decision logic stays testable.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import { parseNames, readOnnxFile } from './onnx-metadata.js';

/** Sidecar data beside a model (`models/wfe-firesmoke-320.json`). */
export interface ModelSidecar {
  name?: string;
  inputSize?: number;
  classes?: string[];
  threshold?: number;
  iouThreshold?: number;
  layout?: string;
}

/** What was learnt about a model file before ORT opens it. */
export interface ModelFileInfo {
  /** Model name for detection messages (sidecar name, else file name without extension). */
  name: string;
  /** Class names and where they came from, or null when none are known. */
  labels: string[] | null;
  labelsSource: 'labels-file' | 'onnx-names' | 'sidecar' | 'none';
  sidecar: ModelSidecar | null;
  /** First 12 hex digits of the file's SHA-256 (`model.hash` in detection messages). */
  hash: string;
}

/** Path of the sidecar JSON of `modelPath` (`x.onnx` → `x.json`). */
export function sidecarPath(modelPath: string): string {
  return join(dirname(modelPath), basename(modelPath, extname(modelPath)) + '.json');
}

/** Reads the sidecar JSON if present; a malformed one is an error (it is ours to keep valid). */
export function readSidecar(modelPath: string): Result<ModelSidecar | null> {
  const p = sidecarPath(modelPath);
  if (!existsSync(p)) return ok(null);
  try {
    const v = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return fail(`model sidecar ${p} is not a JSON object`);
    return ok(v as ModelSidecar);
  } catch (err) {
    return fail(`model sidecar ${p} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Parses a labels file: one name a line, or a JSON/Python list, or Ultralytics' dict literal. */
export function parseLabelsText(text: string): string[] | null {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) return parseNames(t);
  const lines = t
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return lines.length ? lines : null;
}

/**
 * Checks that `modelPath` is a readable, complete ONNX file and collects names. Label precedence:
 * explicit labels file, then the ONNX `names` metadata, then the sidecar's `classes`, then a
 * `<model>.labels.txt` beside the model.
 */
export function inspectModelFile(modelPath: string, labelsPath?: string): Result<ModelFileInfo> {
  if (!existsSync(modelPath)) return fail(`model file not found: ${modelPath} (detect.model must name an ONNX file, e.g. models/wfe-firesmoke-320.onnx)`);
  let bytes: Buffer;
  try {
    if (!statSync(modelPath).isFile()) return fail(`model path ${modelPath} is not a file`);
    bytes = readFileSync(modelPath);
  } catch (err) {
    return fail(`model file ${modelPath} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const file = readOnnxFile(bytes);
  if (!file.ok) return fail(`model file ${modelPath} ${file.reason}; re-copy or re-export the model`);
  const side = readSidecar(modelPath);
  if (!side.ok) return fail(side.reason);
  try {
    return inspectNames(modelPath, labelsPath, bytes, file.value.metadata, side.value);
  } catch (err) {
    // parseNames refuses absurd class indices (a RangeError) instead of allocating for them.
    return fail(`model ${modelPath} or its labels: ${err instanceof Error ? err.message : String(err)}; re-export the model or fix the labels`);
  }
}

function inspectNames(modelPath: string, labelsPath: string | undefined, bytes: Buffer, metadata: Record<string, string>, sidecar: ModelSidecar | null): Result<ModelFileInfo> {
  let labels: string[] | null = null;
  let labelsSource: ModelFileInfo['labelsSource'] = 'none';
  if (labelsPath) {
    if (!existsSync(labelsPath)) return fail(`labels file not found: ${labelsPath} (detect.labels)`);
    labels = parseLabelsText(readFileSync(labelsPath, 'utf8'));
    if (!labels) return fail(`labels file ${labelsPath} lists no class names`);
    labelsSource = 'labels-file';
  } else if (metadata.names && (labels = parseNames(metadata.names))) {
    labelsSource = 'onnx-names';
  } else if (sidecar?.classes && Array.isArray(sidecar.classes) && sidecar.classes.length) {
    labels = sidecar.classes.map(String);
    labelsSource = 'sidecar';
  } else {
    const beside = join(dirname(modelPath), basename(modelPath, extname(modelPath)) + '.labels.txt');
    if (existsSync(beside) && (labels = parseLabelsText(readFileSync(beside, 'utf8')))) labelsSource = 'labels-file';
  }
  const name = typeof sidecar?.name === 'string' && sidecar.name ? sidecar.name : basename(modelPath, extname(modelPath));
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return ok({ name, labels, labelsSource, sidecar, hash });
}
