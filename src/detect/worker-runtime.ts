/**
 * The detector worker's body (docs/design.md "One process, two threads"): owns the cameras' supervisors
 * and FrameSlots, ONE detector (one ORT session), the per-camera trackers and snapshots, and serves
 * cameras round-robin at most at their fps. Messages go out through `post`, so the same runtime
 * runs inside the worker thread (worker.ts) and in-process for tests and the benchmark.
 */
import { join } from 'node:path';
import { CameraSupervisor } from '../capture/camera-supervisor.js';
import type { CameraConfig } from '../capture/config.js';
import type { SourceFactory } from '../capture/source.js';
import { defaultSourceFactory } from '../capture/sources.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { seededRandom, systemRandom, type Random } from '../core/random.js';
import type { DetectConfig } from './config.js';
import { createDetector, type Detector } from './detector.js';
import { pickNext, type Pick, type SchedCamera } from './scheduler.js';
import { encodeSnapshot, storeSnapshot } from './snapshot.js';
import { IouTracker } from './tracker.js';
import type { FromWorker } from './worker-protocol.js';

/** Options of {@link startRuntime}. */
export interface RuntimeOptions {
  cameras: CameraConfig[];
  detect: DetectConfig;
  stateDir: string;
  post: (msg: FromWorker) => void;
  clock?: Clock;
  random?: Random;
  seed?: number;
  factory?: SourceFactory;
  /** Status refresh period (fps, frames, drops) [10 000 ms]. */
  statusEveryMs?: number;
  /** Stats period [5 000 ms]. */
  statsEveryMs?: number;
}

/** A running runtime. */
export interface Runtime {
  readonly detector: Detector;
  /** Moves a camera's source to `url` (discovery followed it); '' stops it. Unknown ids are ignored. */
  setCameraUrl(camera: string, url: string): void;
  stop(): Promise<void>;
}

interface Cam extends SchedCamera {
  cfg: CameraConfig;
  sup: CameraSupervisor;
  tracker: IouTracker;
  lastSnap: number;
  snapBusy: boolean;
  snapBuf: Uint8Array | null;
}

/** Loads the model and starts the cameras; posts `fatal` and returns null when the model is refused. */
export async function startRuntime(opts: RuntimeOptions): Promise<Runtime | null> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? (opts.seed !== undefined ? seededRandom(opts.seed) : systemRandom);
  const d = opts.detect;
  const loaded = await createDetector({ modelPath: d.model, labelsPath: d.labels, layout: d.layout, threshold: d.threshold, iouThreshold: d.iouThreshold, threads: d.threads });
  if (!loaded.ok) {
    opts.post({ type: 'fatal', reason: loaded.reason });
    return null;
  }
  const detector = loaded.value;
  opts.post({
    type: 'ready',
    model: { name: detector.modelName, hash: detector.modelHash, layout: detector.layout, labels: detector.labels, labelsSource: detector.labelsSource, threshold: detector.threshold, inputSize: detector.inputSize },
  });
  const factory = opts.factory ?? defaultSourceFactory();
  // The loop sleeps until a frame arrives (or the next camera becomes due); a frame wakes it.
  let wake: (() => void) | null = null;
  const wakeUp = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const supervisor = (cfg: CameraConfig) =>
    new CameraSupervisor({
      camera: cfg,
      clock,
      random,
      factory,
      onFrame: wakeUp,
      // The idle → starting transition at boot is not news (it would read "offline" on every
      // start); the first status published is the camera's first real state.
      onTransition: (from, _to, reason, status) => {
        if (from !== 'idle') opts.post({ type: 'status', camera: cfg.id, reason, status });
      },
    });
  const cams: Cam[] = opts.cameras
    .filter((c) => c.enabled)
    .map((cfg) => {
      const cam: Cam = {
        cfg,
        // 0.8 of the period: ffmpeg's fps filter jitters; the filter itself holds the rate.
        minIntervalMs: (1000 / cfg.fps) * 0.8,
        lastRun: -Infinity,
        tracker: new IouTracker(),
        lastSnap: -Infinity,
        snapBusy: false,
        snapBuf: null,
        sup: null as unknown as CameraSupervisor,
        hasFrame: () => cam.sup.slot.hasFrame(),
      };
      cam.sup = supervisor(cfg);
      return cam;
    });

  let stopping = false;
  let processed = 0;
  let errors = 0;
  let snapshots = 0;
  let inferSum = 0;
  let inferMax = 0;
  let inferN = 0;
  // Periodic timers live until stop(); each slot holds the currently armed one-shot timer.
  const timers: TimerHandle[] = [];
  const every = (ms: number, fn: () => void) => {
    const arm = () => {
      const t = clock.setTimer(ms, () => {
        if (stopping) return;
        fn();
        arm();
      });
      timers[idx] = t;
    };
    const idx = timers.length;
    timers.push({ cancel() {} });
    arm();
  };
  every(opts.statusEveryMs ?? 10_000, () => {
    // A camera waiting for discovery (no URL yet) has no source whose status would mean anything.
    for (const c of cams) if (c.cfg.url !== '') opts.post({ type: 'status', camera: c.cfg.id, reason: 'refresh', status: c.sup.status() });
  });
  every(opts.statsEveryMs ?? 5_000, () => {
    opts.post({ type: 'stats', processed, inferMsAvg: inferN ? inferSum / inferN : 0, inferMsMax: inferMax, errors, snapshots });
    inferSum = inferN = inferMax = 0;
  });

  const snapshot = (cam: Cam, rgb: Uint8Array, boxes: Array<{ label: string; score: number; box: [number, number, number, number] }>, ts: number) => {
    const s = d.snapshot;
    const now = clock.now();
    if (!s.enabled || cam.snapBusy || now - cam.lastSnap < s.minIntervalSeconds * 1000) return;
    cam.snapBusy = true;
    cam.lastSnap = now;
    // Copy: the slot's buffer is reused by the next take() while sharp encodes.
    cam.snapBuf ??= new Uint8Array(rgb.length);
    cam.snapBuf.set(rgb);
    void (async () => {
      try {
        const jpeg = await encodeSnapshot(cam.snapBuf!, cam.cfg.width, cam.cfg.height, boxes, s.quality);
        snapshots++;
        opts.post({ type: 'snapshot', camera: cam.cfg.id, ts, jpeg });
        await storeSnapshot(join(opts.stateDir, 'snapshots'), cam.cfg.id, ts, jpeg, s.maxDiskMB * 1024 * 1024);
      } catch (err) {
        errors++;
        opts.post({ type: 'log', level: 'warn', msg: 'snapshot failed', fields: { camera: cam.cfg.id, error: err instanceof Error ? err.message : String(err) } });
      } finally {
        cam.snapBusy = false;
      }
    })();
  };

  const loop = async () => {
    const pick: Pick = { index: -1, waitMs: 0 };
    let last = cams.length - 1;
    while (!stopping) {
      pickNext(cams, last, clock.now(), 1000, pick);
      if (pick.index < 0) {
        await new Promise<void>((resolve) => {
          const t = clock.setTimer(pick.waitMs, () => {
            wake = null;
            resolve();
          });
          wake = () => {
            t.cancel();
            resolve();
          };
        });
        continue;
      }
      // Round-robin: the next pick starts after this camera, so a fast one cannot starve the others.
      last = pick.index;
      const cam = cams[pick.index];
      cam.lastRun = clock.now();
      const frame = cam.sup.slot.take();
      if (!frame) continue;
      const t0 = performance.now();
      try {
        const dets = await detector.detect(frame.data, cam.cfg.width, cam.cfg.height);
        const ms = performance.now() - t0;
        processed++;
        inferSum += ms;
        inferN++;
        if (ms > inferMax) inferMax = ms;
        // Only the small result array becomes objects; frame, tensor and decode buffers are reused.
        const tracks = cam.tracker.assign(dets, cam.lastRun);
        const out = dets.map((x, k) => ({ label: x.label, score: x.score, box: x.box, track: tracks[k] }));
        // Empty results are posted too: the main thread rate-limits them into heartbeats.
        opts.post({ type: 'detections', camera: cam.cfg.id, seq: frame.seq, capturedAt: frame.capturedAt, width: cam.cfg.width, height: cam.cfg.height, inferMs: ms, detections: out });
        if (out.length) snapshot(cam, frame.data, out, frame.capturedAt);
      } catch (err) {
        // A failed frame is counted and logged; the loop goes on with the next frame (docs/design.md
        // "Failure model": bad input never stops the process).
        errors++;
        opts.post({ type: 'log', level: 'error', msg: 'inference failed', fields: { camera: cam.cfg.id, error: err instanceof Error ? err.message : String(err) } });
      }
    }
  };

  // A camera named only by its ONVIF identity starts once discovery gives it a URL.
  for (const c of cams) if (c.cfg.url !== '') c.sup.start();
  const running = loop();
  return {
    detector,
    setCameraUrl(camera, url) {
      const cam = cams.find((c) => c.cfg.id === camera);
      if (!cam || stopping || cam.cfg.url === url) return;
      const old = cam.sup;
      cam.cfg = { ...cam.cfg, url };
      // The new supervisor gets a fresh slot; the tracker stays, so track ids carry on.
      cam.sup = supervisor(cam.cfg);
      void old.stop();
      if (url !== '') cam.sup.start();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const t of timers) t.cancel();
      wakeUp();
      await running;
      await Promise.all(cams.map((c) => c.sup.stop()));
      // Let in-flight snapshots finish before the session goes.
      for (let i = 0; i < 100 && cams.some((c) => c.snapBusy); i++) await new Promise((r) => setTimeout(r, 20));
      await detector.close();
    },
  };
}
