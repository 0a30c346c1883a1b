/**
 * Thin adapter over onnxruntime-node (docs/style.md rule 4: the only file importing it). One session per
 * process (docs/design.md: several sessions in several workers have crashed in the field), thread
 * spinning off so idle ORT threads do not burn the Pi's cores, and a reused input tensor over the
 * preprocessor's preallocated Float32Array. After the first run the output is fetched into a
 * preallocated tensor too, so ORT writes into memory we own.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';

/** Shape as ORT reports it: numbers, or names for symbolic dimensions. */
export type Shape = ReadonlyArray<number | string>;

/** What the detector needs from an inference session. */
export interface OnnxSession {
  readonly inputName: string;
  readonly inputType: string;
  readonly inputShape: Shape;
  readonly inputCount: number;
  readonly outputName: string;
  readonly outputType: string;
  readonly outputShape: Shape;
  /** Wraps `data` once as the input tensor reused by every {@link run}. */
  bindInput(data: Float32Array, dims: readonly number[]): void;
  /** Runs the model on the bound input; returns the first output's data and dims. */
  run(): Promise<{ data: Float32Array; dims: readonly number[] }>;
  /** Releases native memory. */
  close(): Promise<void>;
}

/** Default ORT intra-op threads: cores − 1 (leave one for the main thread and ffmpeg), at least 1. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Opens one session on `modelPath`; errors (corrupt graph, unsupported ops) come back as values. */
export async function openSession(modelPath: string, threads: number): Promise<Result<OnnxSession>> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: Math.max(1, Math.floor(threads)),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // No memory-pattern plan: it reserves one block sized for every intermediate tensor of the
      // graph at once, on top of the arena. For the default model (two views in one batch) it cost
      // 5.6 MB of RSS and bought no speed (measured 49.6 vs 44.0 MB, 5.35 vs 5.34 ms per run).
      enableMemPattern: false,
      // ORT's own stderr lines are not JSON; every error of ours surfaces as an exception that the
      // caller logs structured (a dynamic output's first mismatch, for one, is handled above).
      logSeverityLevel: 4,
      // Spinning threads would keep cores busy between frames (docs/detector.md: thread spinning off).
      extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
    });
  } catch (err) {
    return fail(`onnxruntime could not load it: ${err instanceof Error ? err.message : String(err)}`);
  }
  const inMeta = session.inputMetadata[0];
  const outMeta = session.outputMetadata[0];
  if (!inMeta || !outMeta) {
    await session.release().catch(() => undefined);
    return fail(`it has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs; expected one image input and a detection output`);
  }
  const shapeOf = (m: ort.InferenceSession.ValueMetadata): Shape => (m.isTensor ? m.shape : []);
  const typeOf = (m: ort.InferenceSession.ValueMetadata): string => (m.isTensor ? m.type : 'non-tensor');
  let input: ort.Tensor | null = null;
  let output: ort.Tensor | null = null;
  let feeds: Record<string, ort.Tensor> = {};
  let fetches: Record<string, ort.Tensor> | undefined;
  // Output size changes from run to run (an end2end model with a data-dependent row count): ORT
  // allocates each output then, as a preallocated one would be refused on the next frame.
  let dynamicOutput = false;
  const outName = outMeta.name;
  const staticOutput = shapeOf(outMeta).every((d) => typeof d === 'number' && d > 0);
  return ok({
    inputName: inMeta.name,
    inputType: typeOf(inMeta),
    inputShape: shapeOf(inMeta),
    inputCount: session.inputNames.length,
    outputName: outName,
    outputType: typeOf(outMeta),
    outputShape: shapeOf(outMeta),
    bindInput(data, dims) {
      input = new ort.Tensor('float32', data, dims);
      feeds = { [inMeta.name]: input };
    },
    async run() {
      if (!input) throw new Error('onnx-session: run() before bindInput()');
      let res: ort.InferenceSession.OnnxValueMapType;
      try {
        res = await session.run(feeds, fetches);
      } catch (err) {
        // A symbolic output dim that really varies: the preallocated tensor no longer fits.
        if (!fetches || staticOutput) throw err;
        fetches = undefined;
        output = null;
        dynamicOutput = true;
        res = await session.run(feeds);
      }
      if (output) return { data: output.data as Float32Array, dims: output.dims };
      const t = res[outName];
      if (t.type !== 'float32') throw new Error(`model output ${outName} is ${t.type}; expected float32`);
      if (dynamicOutput) return { data: t.data as Float32Array, dims: t.dims };
      // First run: the real output size is now known; preallocate it for every later run.
      output = new ort.Tensor('float32', new Float32Array(t.data as Float32Array), t.dims);
      fetches = { [outName]: output };
      return { data: output.data as Float32Array, dims: output.dims };
    },
    async close() {
      await session.release();
    },
  });
}
