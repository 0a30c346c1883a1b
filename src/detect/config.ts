import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * `detect.*` config section (docs/detector.md). Owned by src/detect. The threshold default is the
 * operating threshold of the shipped model, read from its sidecar (`models/wfe-firesmoke-320.json`,
 * written by the model's training/export code) when present, else 0.5.
 */

/** Path of the default model, relative to the working directory like every relative config path. */
export const DEFAULT_MODEL = 'models/wfe-firesmoke-320.onnx';
const DEFAULT_SIDECAR = 'models/wfe-firesmoke-320.json';
const FALLBACK_THRESHOLD = 0.5;

/** The shipped model's operating threshold (sidecar `threshold`), or 0.5 when unknown. */
export function defaultThreshold(sidecar = DEFAULT_SIDECAR): number {
  try {
    if (!existsSync(sidecar)) return FALLBACK_THRESHOLD;
    const t = (JSON.parse(readFileSync(sidecar, 'utf8')) as { threshold?: unknown }).threshold;
    return typeof t === 'number' && t > 0 && t < 1 ? t : FALLBACK_THRESHOLD;
  } catch {
    // A broken sidecar is reported by model loading (createDetector); the default stays usable.
    return FALLBACK_THRESHOLD;
  }
}

/** `detect.snapshot`: evidence JPEGs with boxes drawn (docs/topics.md `camera/<camera>/snapshot`). */
export const snapshotConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Take an evidence JPEG (boxes drawn) on a detection.'),
    minIntervalSeconds: z.number().min(1).max(86_400).default(30).describe('At most one snapshot per camera per this many seconds.'),
    maxDiskMB: z.number().min(0).max(100_000).default(50).describe('Total size cap of <stateDir>/snapshots (oldest deleted first; 0 keeps none on disk).'),
    quality: z.number().int().min(30).max(95).default(75).describe('JPEG quality.'),
  })
  .prefault({});

/** `detect.*` config section. */
export const detectConfigSchema = z
  .strictObject({
    model: z.string().min(1).default(DEFAULT_MODEL).describe('ONNX model file (YOLOv8/YOLO11, YOLOv5 or end-to-end layout).'),
    labels: z.string().min(1).optional().describe("Class names file; default: the model's names metadata."),
    layout: z.enum(['auto', 'yolov8', 'yolov5', 'end2end']).default('auto').describe('Output layout; auto decides from the output shape at start-up.'),
    threshold: z
      .number()
      .gt(0)
      .lt(1)
      .default(() => defaultThreshold())
      .describe("Score threshold (inclusive); default: the shipped model's operating threshold (0.5 when unknown)."),
    iouThreshold: z.number().gt(0).lt(1).default(0.45).describe('Per-class NMS IoU threshold.'),
    threads: z.number().int().min(1).max(64).optional().describe('ONNX Runtime intra-op threads; default: cores − 1 (at least 1).'),
    publishEmptyEverySeconds: z.number().min(1).max(3600).default(10).describe('With no detections, publish an empty detection message at most this often.'),
    hangSeconds: z
      .number()
      .min(1)
      .max(3600)
      .default(60)
      .describe('No detection result for this long (at least 3 frame periods of the slowest camera) while a camera is online: the detector worker is stuck and is restarted.'),
    snapshot: snapshotConfigSchema,
  })
  .prefault({});
/** The validated `detect` section. */
export type DetectConfig = z.infer<typeof detectConfigSchema>;
