/**
 * The detector worker's message protocol (docs/style.md rules 6 and 8): one zod schema per direction, a
 * tagged union on `type`, one doc line per message. The main thread validates every message it
 * receives, so a worker bug becomes a logged, counted rejection rather than a crash.
 */
import { z } from 'zod';
import { cameraConfigSchema } from '../capture/config.js';
import { detectConfigSchema } from './config.js';

const finite = z.number().refine(Number.isFinite, 'must be finite');

/** `workerData`: what the worker is started with. */
export const workerInitSchema = z.object({
  cameras: z.array(cameraConfigSchema),
  detect: detectConfigSchema,
  stateDir: z.string().min(1),
  /** Fixed seed for restart jitter in tests; absent in production. */
  seed: z.number().int().optional(),
});
export type WorkerInit = z.input<typeof workerInitSchema>;

/** Main → worker. */
export const toWorkerSchema = z.discriminatedUnion('type', [
  /** Stop cameras, close the session, then exit. */
  z.object({ type: z.literal('stop') }),
  /**
   * Discovery found the camera (by its ONVIF identity) at this URL: (re)start its source there. The
   * camera keeps its id, tracker and slot; an empty URL stops the source until it is found again.
   */
  z.object({ type: z.literal('camera.url'), camera: z.string(), url: z.string() }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

const statusSchema = z.object({
  status: z.enum(['online', 'offline', 'error']),
  fps: finite,
  frames: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  last_frame_at: finite.nullable(),
  error: z.string().nullable(),
  restarts: z.number().int().nonnegative(),
  /** Frames that repeated the previous picture (not handed to the detector). */
  repeated: z.number().int().nonnegative().optional(),
});

/** Worker → main. */
export const fromWorkerSchema = z.discriminatedUnion('type', [
  /** The model loaded; cameras are starting. */
  z.object({
    type: z.literal('ready'),
    model: z.object({
      name: z.string(),
      hash: z.string(),
      layout: z.string(),
      labels: z.array(z.string()),
      labelsSource: z.string(),
      threshold: finite,
      inputSize: z.object({ width: z.number().int(), height: z.number().int() }),
    }),
  }),
  /** The worker cannot run (model refused); it exits after this. */
  z.object({ type: z.literal('fatal'), reason: z.string() }),
  /** Result of one processed frame (empty `detections` included; the main thread rate-limits heartbeats). */
  z.object({
    type: z.literal('detections'),
    camera: z.string(),
    seq: z.number().int().nonnegative(),
    capturedAt: finite,
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    inferMs: finite,
    detections: z.array(
      z.object({
        label: z.string(),
        score: finite,
        box: z.tuple([finite, finite, finite, finite]),
        track: z.number().int().nonnegative(),
      }),
    ),
  }),
  /** A camera's status changed (or the periodic refresh of fps/frames). */
  z.object({ type: z.literal('status'), camera: z.string(), reason: z.string(), status: statusSchema }),
  /** An evidence JPEG with boxes drawn (already rate-limited and saved on disk by the worker). */
  z.object({ type: z.literal('snapshot'), camera: z.string(), ts: finite, jpeg: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'jpeg must be bytes') }),
  /** Periodic hot-path counters. */
  z.object({
    type: z.literal('stats'),
    processed: z.number().int().nonnegative(),
    inferMsAvg: finite,
    inferMsMax: finite,
    errors: z.number().int().nonnegative(),
    snapshots: z.number().int().nonnegative(),
  }),
  /** A log line for the main thread's logger (the worker has none of its own). */
  z.object({ type: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), msg: z.string(), fields: z.record(z.string(), z.unknown()).optional() }),
  /** Acknowledges `stop`: everything is closed. */
  z.object({ type: z.literal('stopped') }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;
/** Status payload inside a `status` message. */
export type WorkerCameraStatus = z.infer<typeof statusSchema>;
