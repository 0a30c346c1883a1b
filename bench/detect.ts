/**
 * Detector benchmark (docs/detector.md "Benchmark"): model-only latency vs full per-frame latency (raw
 * frame bytes → detections) and their ratio, p50/p99, fps with 1 and 4 cameras through the real
 * worker, heap growth and GC count per 1000 frames, main-thread event-loop delay p99 while the
 * worker is saturated, and peak RSS with 4 cameras. Runnable alone:
 * `node --expose-gc --import tsx bench/run.ts detect`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createAppBus } from '../src/bus/index.js';
import { cameraConfigSchema } from '../src/capture/config.js';
import { detectConfigSchema } from '../src/detect/config.js';
import { createCameraRole, createDetector } from '../src/detect/index.js';
import { silentLogger } from '../src/log/logger.js';
import type { BenchFigure } from './types.js';

const DEFAULT_MODEL = 'models/wfe-firesmoke-320.onnx';
const FIXTURE = 'test/fixtures/models/bench-yolo-320.onnx';
const W = 640;
const H = 360;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `n` cameras (lavfi test pattern at 30 fps, 640x360) through the worker for `ms`. */
async function cameraRun(model: string, n: number, ms: number) {
  const role = createCameraRole({
    cameras: Array.from({ length: n }, (_, i) => cameraConfigSchema.parse({ id: `cam${i}`, url: `lavfi:testsrc2=size=${W}x${H}:rate=30`, fps: 30, width: W, height: H })),
    detect: detectConfigSchema.parse({ model, snapshot: { enabled: false } }),
    nodeId: 'bench',
    stateDir: mkdtempSync(join(tmpdir(), 'wfe-bench-')),
    logger: silentLogger(),
    bus: createAppBus(),
  });
  const r = await role.start();
  if (!r.ok) throw new Error(r.reason);
  const frames = () => role.metrics().detect_frames_processed as number;
  // Warm-up: every camera online and inference running.
  const t0 = Date.now();
  while (frames() < 10 * n && Date.now() - t0 < 30_000) await sleep(50);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const f0 = frames();
  const s0 = performance.now();
  loop.enable();
  await sleep(ms);
  loop.disable();
  const fps = ((frames() - f0) * 1000) / (performance.now() - s0);
  const rssPeakMB = process.resourceUsage().maxRSS / 1024;
  await role.stop();
  return { fps, loopP99: loop.percentile(99) / 1e6, rssPeakMB };
}

/**
 * Peak RSS of a deployed-like process: plain Node running the worker bundled by esbuild (as
 * `npm run build` ships it), so neither tsx nor this benchmark's own state is counted.
 */
async function rssProbe(model: string, cameras: number, fps: number, seconds: number): Promise<{ frames: number; maxRssMB: number }> {
  const { build } = await import('esbuild');
  // Inside node_modules/.cache so the external natives resolve from the project's node_modules.
  const out = join(process.cwd(), 'node_modules', '.cache', 'wfe-bench', 'detect-worker.mjs');
  await build({
    entryPoints: ['src/detect/worker.ts'],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['onnxruntime-node', 'sharp'],
    banner: { js: "import { createRequire as __wfeCreateRequire } from 'node:module'; const require = __wfeCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const txt = execFileSync(process.execPath, ['bench/detect-rss-probe.mjs', out, model, String(cameras), String(fps), String(seconds)], {
    encoding: 'utf8',
    timeout: (seconds + 60) * 1000,
  });
  return JSON.parse(txt.trim().split('\n').pop()!) as { frames: number; maxRssMB: number };
}

/** Benchmark entry (bench/run.ts). */
export async function run(): Promise<BenchFigure[]> {
  const shipped = existsSync(DEFAULT_MODEL);
  const model = shipped ? DEFAULT_MODEL : FIXTURE;
  const note = shipped ? `model ${DEFAULT_MODEL}` : `fixture ${FIXTURE} (random weights, YOLO-shaped; default model not present)`;
  const threadsNote = 'threads = cores − 1';
  const figures: BenchFigure[] = [];

  // Camera runs first, in a fresh process, so peak RSS is the 4-camera node's.
  const one = await cameraRun(model, 1, 8000);
  const four = await cameraRun(model, 4, 8000);
  figures.push(
    { name: 'detect.fps_1_camera', value: one.fps, unit: 'fps', note: `${note}; one lavfi camera at 640x360, 30 fps offered (the camera's rate caps it), worker thread` },
    { name: 'detect.fps_4_cameras', value: four.fps, unit: 'fps', note: `${note}; 4 × lavfi 640x360, 30 fps each offered, round-robin; 4 ffmpeg processes share the cores` },
    { name: 'detect.main_loop_delay_p99', value: four.loopP99, unit: 'ms', goal: '<= 10', note: 'main thread while the worker is saturated (4 cameras)' },
  );
  // Peak RSS of a deployed-like process (bundled worker, plain node): at the default 2 fps and flat out.
  const rssDefault = await rssProbe(model, 4, 2, 12);
  const rssFlat = await rssProbe(model, 4, 30, 12);
  figures.push(
    { name: 'detect.peak_rss_4_cameras', value: rssDefault.maxRssMB, unit: 'MB', goal: '<= 150', note: `maxRSS, plain node + bundled worker, 4 × 640x360 at the default 2 fps (${rssDefault.frames} frames); ffmpeg children excluded` },
    { name: 'detect.peak_rss_4_cameras_saturated', value: rssFlat.maxRssMB, unit: 'MB', note: `same, 4 × 30 fps, worker saturated (${rssFlat.frames} frames)` },
    { name: 'detect.peak_rss_bench_process', value: four.rssPeakMB, unit: 'MB', note: 'this benchmark process (tsx loader in main and worker) with 4 saturated cameras' },
  );

  // In-process latency: model only (session.run on the prepared tensor) vs full frame.
  const r = await createDetector({ modelPath: model, threshold: detectConfigSchema.parse({}).threshold });
  if (!r.ok) throw new Error(r.reason);
  const det = r.value;
  const frame = new Uint8Array(W * H * 3);
  for (let i = 0; i < frame.length; i++) frame[i] = (i * 7 + (i >> 9)) & 0xff;
  for (let i = 0; i < 30; i++) await det.detect(frame, W, H);
  // A camera configured at the model's scaled size (320x180 for a 320 model): ffmpeg does the
  // scaling (docs/detector.md: letterboxing can happen inside ffmpeg), Node only converts and pads.
  const sw = det.inputSize.width;
  const sh = Math.round((H * sw) / W);
  const small = new Uint8Array(sw * sh * 3);
  for (let i = 0; i < small.length; i++) small[i] = (i * 7 + (i >> 9)) & 0xff;
  const N = 400;
  const modelMs: number[] = [];
  const fullMs: number[] = [];
  const smallMs: number[] = [];
  // Interleaved so background load affects every series alike.
  for (let i = 0; i < N; i++) {
    let t = performance.now();
    await det.runModelOnly();
    modelMs.push(performance.now() - t);
    t = performance.now();
    await det.detect(frame, W, H);
    fullMs.push(performance.now() - t);
    t = performance.now();
    await det.detect(small, sw, sh);
    smallMs.push(performance.now() - t);
  }
  const ratio = pct(fullMs, 50) / pct(modelMs, 50);
  figures.push(
    { name: 'detect.model_only_p50', value: pct(modelMs, 50), unit: 'ms', note: `${note}; ${det.inputSize.width}x${det.inputSize.height}, ${threadsNote}` },
    { name: 'detect.model_only_p99', value: pct(modelMs, 99), unit: 'ms', note },
    { name: 'detect.full_frame_p50', value: pct(fullMs, 50), unit: 'ms', note: `raw 640x360 rgb24 → letterbox → run → decode → NMS → boxes` },
    { name: 'detect.full_frame_p99', value: pct(fullMs, 99), unit: 'ms', note },
    { name: 'detect.full_to_model_ratio', value: ratio, unit: 'x', goal: '<= 1.10', note: 'p50 full (640x360 frame) / p50 model-only' },
    { name: 'detect.full_frame_model_sized_p50', value: pct(smallMs, 50), unit: 'ms', note: `raw ${sw}x${sh} rgb24 (camera width/height at the model's scale; ffmpeg scales)` },
    { name: 'detect.full_to_model_ratio_model_sized', value: pct(smallMs, 50) / pct(modelMs, 50), unit: 'x', goal: '<= 1.10', note: `p50 full (${sw}x${sh} frame) / p50 model-only` },
  );

  // Heap growth and GC count per 1000 frames (fixed input).
  const gc = (globalThis as { gc?: () => void }).gc;
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  gc?.();
  await sleep(20);
  const h0 = process.memoryUsage().heapUsed;
  gcs = 0;
  for (let i = 0; i < 1000; i++) await det.detect(frame, W, H);
  await sleep(20);
  const gcCount = gcs;
  gc?.();
  await sleep(20);
  const h1 = process.memoryUsage().heapUsed;
  obs.disconnect();
  await det.close();
  figures.push(
    { name: 'detect.heap_growth_per_1000_frames', value: (h1 - h0) / 1024, unit: 'KB', note: gc ? 'after forced GC' : 'run with --expose-gc for a stable figure' },
    { name: 'detect.gc_count_per_1000_frames', value: gcCount, unit: 'GCs', note: 'minor + major, in-process detect()' },
  );
  return figures;
}

// Runnable alone: `node --expose-gc --import tsx bench/detect.ts`.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const f of await run()) console.log(JSON.stringify(f));
}
