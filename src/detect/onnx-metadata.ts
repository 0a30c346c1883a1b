/**
 * Minimal reader of an ONNX file's protobuf (docs/detector.md "Model format"): onnxruntime-node does not
 * expose model metadata, so the `names` property Ultralytics writes is read here. The walk over the
 * top-level fields also catches truncated or corrupt files before ORT sees them, so the refusal
 * message can say what is wrong with the file rather than a native error string.
 */
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';

/** What the file-level check found. */
export interface OnnxFileInfo {
  /** `metadata_props` (ModelProto field 14) as key → value. */
  metadata: Record<string, string>;
  /** ModelProto.ir_version (field 1), 0 when absent. */
  irVersion: number;
}

interface Cursor {
  pos: number;
}

/** Reads a base-128 varint; returns -1 when the buffer ends inside it or it is absurdly long. */
function varint(buf: Uint8Array, c: Cursor, end: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) return -1;
    const b = buf[c.pos++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
    mul *= 128;
  }
  return -1;
}

/** Skips or yields each field of one message in [start, end). Returns a reason on malformed input. */
function walk(buf: Uint8Array, start: number, end: number, onField: (field: number, from: number, to: number, wire: number, value: number) => void): string | null {
  const c: Cursor = { pos: start };
  while (c.pos < end) {
    const key = varint(buf, c, end);
    if (key < 0) return `ends inside a field key at byte ${c.pos}`;
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) return `has an invalid field number 0 at byte ${c.pos}`;
    if (wire === 0) {
      const v = varint(buf, c, end);
      if (v < 0) return `ends inside a number at byte ${c.pos}`;
      onField(field, c.pos, c.pos, wire, v);
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (c.pos + n > end) return `ends inside a fixed-size field at byte ${c.pos}`;
      c.pos += n;
    } else if (wire === 2) {
      const len = varint(buf, c, end);
      if (len < 0) return `ends inside a length at byte ${c.pos}`;
      if (c.pos + len > end) return `is truncated: field ${field} needs ${len} bytes at byte ${c.pos} but only ${end - c.pos} remain`;
      onField(field, c.pos, c.pos + len, wire, len);
      c.pos += len;
    } else {
      return `has an unsupported wire type ${wire} at byte ${c.pos} (not an ONNX protobuf)`;
    }
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Checks the protobuf framing of a whole ONNX file and extracts its metadata properties.
 * Refuses files that end mid-field, carry no graph (field 7) or are not protobuf at all.
 */
export function readOnnxFile(buf: Uint8Array): Result<OnnxFileInfo> {
  if (buf.length < 16) return fail(`is only ${buf.length} bytes (empty or truncated)`);
  const metadata: Record<string, string> = {};
  let irVersion = 0;
  let hasGraph = false;
  let hasOpset = false;
  let inner: string | null = null;
  const err = walk(buf, 0, buf.length, (field, from, to, wire, value) => {
    if (field === 1 && wire === 0) irVersion = value;
    if (field === 7 && wire === 2) {
      hasGraph = true;
      // The graph's own framing must hold too: truncation usually lands inside it.
      inner ??= walk(buf, from, to, () => undefined);
    }
    if (field === 8 && wire === 2) hasOpset = true;
    if (field === 14 && wire === 2) {
      let key = '';
      let val = '';
      inner ??= walk(buf, from, to, (f, a, b, w) => {
        if (w !== 2) return;
        if (f === 1) key = utf8.decode(buf.subarray(a, b));
        if (f === 2) val = utf8.decode(buf.subarray(a, b));
      });
      if (key) metadata[key] = val;
    }
  });
  if (err) return fail(err);
  if (inner) return fail(`has a corrupt graph or metadata entry: it ${inner}`);
  if (!hasGraph) return fail('has no graph (not an ONNX model)');
  // opset_import follows the graph in files written by onnx; its absence means a cut file.
  if (!hasOpset) return fail('has no opset_import (truncated, or not an ONNX model)');
  if (irVersion <= 0 || irVersion > 100) return fail(`has an implausible ir_version ${irVersion} (not an ONNX model)`);
  return ok({ metadata, irVersion });
}

/** More classes than any detector we run has; a bigger index in `names` is a corrupt or hostile file. */
export const MAX_CLASSES = 4096;

/**
 * Parses class names from the `names` metadata: Ultralytics' Python dict literal
 * (`{0: 'fire', 1: 'smoke'}`), or a JSON/Python list (`['fire', 'smoke']`). Returns null when the
 * text holds no names; throws a RangeError past {@link MAX_CLASSES} (an index of 10^9 would make
 * the hole filling below allocate a billion names and kill the process).
 */
export function parseNames(text: string): string[] | null {
  const t = text.trim();
  if (t.startsWith('{')) {
    const out: string[] = [];
    const re = /(\d+)\s*:\s*(['"])((?:\\.|(?!\2).)*)\2/g;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      const idx = Number(m[1]);
      if (idx >= MAX_CLASSES) throw new RangeError(`names has class index ${m[1]} (at most ${MAX_CLASSES} classes)`);
      out[idx] = m[3].replace(/\\(.)/g, '$1');
    }
    if (out.length === 0) return null;
    // Holes in the index sequence get placeholder names instead of `undefined`.
    for (let i = 0; i < out.length; i++) out[i] ??= `class${i}`;
    return out;
  }
  if (t.startsWith('[')) {
    const out: string[] = [];
    const re = /(['"])((?:\\.|(?!\1).)*)\1/g;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      if (out.length >= MAX_CLASSES) throw new RangeError(`names lists more than ${MAX_CLASSES} classes`);
      out.push(m[2]);
    }
    return out.length ? out : null;
  }
  return null;
}
