/**
 * The detector: one ONNX session plus preallocated preprocessing and decode (docs/detector.md "The hot
 * path"). Runs in the calling thread: the detector worker, the eval tool and tests use it directly.
 * Loading refuses a missing, truncated or corrupt model, or one whose input/output does not fit,
 * with a message naming expected and found shapes (never a crash later, never silent no-detections).
 */
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import { Candidates } from './candidates.js';
import { decodeEnd2end } from './decode-end2end.js';
import { decodeYolov5 } from './decode-yolov5.js';
import { decodeYolov8 } from './decode-yolov8.js';
import { decideLayout, type Layout, type LayoutOption } from './layout.js';
import { inspectModelFile } from './model-files.js';
import { Nms } from './nms.js';
import { defaultThreads, openSession } from './onnx-session.js';
import { Preprocessor, unletterbox } from './preprocess.js';

/** One detection in frame terms. */
export interface RawDetection {
  label: string;
  classId: number;
  /**
   * The model's score, at or above the threshold. Not clamped here: a model without a final sigmoid
   * can exceed 1; the camera role clamps to [0, 1] before publishing (the detection schema's range).
   */
  score: number;
  /** Normalised x1, y1, x2, y2 in the frame (letterbox undone), x1 < x2 and y1 < y2. */
  box: [number, number, number, number];
}

/** Options of {@link createDetector}. */
export interface DetectorOptions {
  modelPath: string;
  /** Labels file (one name a line, or a list/dict literal); default: the model's `names` metadata. */
  labelsPath?: string;
  layout?: LayoutOption;
  /** Score threshold, inclusive: a score equal to it is kept. */
  threshold: number;
  /** NMS IoU threshold (exclusive: IoU above it suppresses) [0.45]. */
  iouThreshold?: number;
  /** ORT intra-op threads [cores − 1, at least 1]. */
  threads?: number;
  /** Most detections per frame [100]. */
  maxDetections?: number;
}

/** A loaded model ready to run on rgb24 frames. */
export interface Detector {
  readonly inputSize: { width: number; height: number };
  readonly labels: string[];
  /** Where the labels came from. */
  readonly labelsSource: string;
  readonly layout: Layout;
  /** Model name for detection messages (sidecar name or file name). */
  readonly modelName: string;
  /** First 12 hex digits of the model file's SHA-256. */
  readonly modelHash: string;
  readonly threshold: number;
  /** Detects in one `width × height` rgb24 frame (`rgb.length ≥ width·height·3`). Calls are serialised. */
  detect(rgb: Uint8Array, width: number, height: number): Promise<RawDetection[]>;
  /** `session.run` alone on the current input tensor: the benchmark's floor. */
  runModelOnly(): Promise<void>;
  close(): Promise<void>;
}

const fmt = (s: ReadonlyArray<number | string>) => `[${s.join(', ')}]`;

/** Most rows an end-to-end model may return for one frame (Ultralytics exports 300). */
const END2END_MAX_ROWS = 1000;

/** Loads and checks a model; every refusal is a value naming the cause and the fix. */
export async function createDetector(opts: DetectorOptions): Promise<Result<Detector>> {
  const file = inspectModelFile(opts.modelPath, opts.labelsPath);
  if (!file.ok) return file;
  const opened = await openSession(opts.modelPath, opts.threads ?? defaultThreads());
  if (!opened.ok) return fail(`model file ${opts.modelPath}: ${opened.reason}`);
  const session = opened.value;
  const refuse = async (why: string): Promise<Result<Detector>> => {
    await session.close().catch(() => undefined);
    return fail(`model ${opts.modelPath} refused: ${why}`);
  };
  // Input: one float32 image [1, 3, H, W].
  const ish = session.inputShape;
  if (session.inputCount !== 1 || session.inputType !== 'float32' || ish.length !== 4 || (typeof ish[0] === 'number' && ish[0] !== 1) || ish[1] !== 3) {
    return refuse(`input ${session.inputName} is ${session.inputType} ${fmt(ish)} (${session.inputCount} input(s)); expected one float32 input [1, 3, H, W]`);
  }
  let h = ish[2];
  let w = ish[3];
  const side = file.value.sidecar?.inputSize;
  if (typeof h !== 'number' || typeof w !== 'number') {
    if (!side) return refuse(`input ${fmt(ish)} has a symbolic size; export with a fixed size or set inputSize in the model's .json sidecar`);
    h = w = side;
  } else if (side && (h !== side || w !== side)) {
    // The sidecar describes a different export: the model file was probably swapped.
    return refuse(`input is ${fmt(ish)} but the model's .json sidecar says inputSize ${side}; use the matching pair of files`);
  }
  if (session.outputType !== 'float32') return refuse(`output ${session.outputName} is ${session.outputType}; expected float32`);
  const pre = new Preprocessor(w, h);
  session.bindInput(pre.data, [1, 3, h, w]);
  // Dummy run on the pad image: real output dims even when the exported ones are symbolic.
  let dims: readonly number[];
  try {
    dims = (await session.run()).dims;
  } catch (err) {
    return refuse(`a test inference failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const labelsKnown = file.value.labels;
  const decided = decideLayout(dims, opts.layout ?? 'auto', labelsKnown ? labelsKnown.length : null);
  if (!decided.ok) return refuse(`${decided.reason} (declared ${fmt(session.outputShape)}; labels from ${file.value.labelsSource})`);
  const { layout, classes, count } = decided.value;
  const labels = labelsKnown ?? Array.from({ length: classes }, (_, i) => `class${i}`);
  // An end-to-end model may return a different number of rows per frame (data-dependent output);
  // the buffers hold up to END2END_MAX_ROWS, the decoders read only the rows this frame has.
  const capacity = layout === 'end2end' ? Math.max(count, END2END_MAX_ROWS) : count;
  const cand = new Candidates(capacity);
  const nms = new Nms(capacity);
  const scratch = new Float32Array(4);
  const iou = opts.iouThreshold ?? 0.45;
  const maxDet = opts.maxDetections ?? 100;
  const threshold = opts.threshold;
  let chain: Promise<unknown> = Promise.resolve();

  const once = async (rgb: Uint8Array, fw: number, fh: number): Promise<RawDetection[]> => {
    if (!(fw > 0 && fh > 0) || rgb.length < fw * fh * 3) throw new RangeError(`frame of ${rgb.length} bytes is smaller than ${fw}x${fh}x3`);
    const plan = pre.run(rgb, fw, fh);
    const out = await session.run();
    if (layout === 'end2end') {
      // Rows this frame really has: never read past the output, never past the buffers.
      decodeEnd2end(out.data, classes, Math.min(capacity, out.dims[1]), threshold, cand);
    } else {
      // Anchors are fixed by the input size; a model whose anchor count changes is not one we read.
      const anchors = layout === 'yolov8' ? out.dims[2] : out.dims[1];
      if (anchors !== count) throw new Error(`model output changed from ${count} to ${anchors} anchors between frames`);
      if (layout === 'yolov8') decodeYolov8(out.data, classes, count, threshold, cand);
      else decodeYolov5(out.data, classes, count, threshold, cand);
    }
    // End-to-end rows are final: sort only, no suppression.
    const kept = nms.run(cand, iou, maxDet, layout !== 'end2end');
    const result: RawDetection[] = [];
    for (let k = 0; k < kept; k++) {
      const i = nms.keep[k];
      const b = i * 4;
      unletterbox(plan, cand.boxes[b], cand.boxes[b + 1], cand.boxes[b + 2], cand.boxes[b + 3], scratch, 0);
      // A box entirely inside the padding maps to nothing in the frame.
      if (!(scratch[2] > scratch[0] && scratch[3] > scratch[1])) continue;
      const cls = cand.classes[i];
      result.push({ label: labels[cls], classId: cls, score: cand.scores[i], box: [scratch[0], scratch[1], scratch[2], scratch[3]] });
    }
    return result;
  };

  const detector: Detector = {
    inputSize: { width: w, height: h },
    labels,
    labelsSource: file.value.labelsSource,
    layout,
    modelName: file.value.name,
    modelHash: file.value.hash,
    threshold,
    detect(rgb, fw, fh) {
      // Serialise: the input tensor and decode buffers are shared.
      const p = chain.then(() => once(rgb, fw, fh));
      chain = p.catch(() => undefined);
      return p;
    },
    runModelOnly() {
      const p = chain.then(async () => {
        await session.run();
      });
      chain = p.catch(() => undefined);
      return p;
    },
    async close() {
      await chain;
      await session.close();
    },
  };
  return ok(detector);
}
