import type { Resolution } from './common.js';

/**
 * Common camera/detect sizes, smallest first. Frigate boxes are pixels of the camera's `detect`
 * size, which Frigate does not publish over MQTT; a box beyond the size we assume proves it larger.
 */
const COMMON_SIZES: readonly Resolution[] = [
  { width: 640, height: 360 },
  { width: 640, height: 480 },
  { width: 704, height: 576 },
  { width: 1280, height: 720 },
  { width: 1280, height: 960 },
  { width: 1920, height: 1080 },
  { width: 2560, height: 1440 },
  { width: 2592, height: 1944 },
  { width: 2688, height: 1520 },
  { width: 3840, height: 2160 },
  { width: 4096, height: 2160 },
  { width: 7680, height: 4320 },
].sort((a, b) => a.width * a.height - b.width * b.height);

/** The smallest common size that holds a box reaching (x2, y2), or undefined past 8K. */
export function smallestSizeHolding(x2: number, y2: number, atLeast: Resolution): Resolution | undefined {
  return COMMON_SIZES.find((r) => r.width >= x2 && r.height >= y2 && r.width * r.height > atLeast.width * atLeast.height);
}

/** One camera whose size was learned from its boxes (health and the status page report it). */
export interface LearnedResolution {
  camera: string;
  assumed: Resolution;
  learned: Resolution;
  /** Largest box corner seen, pixels. */
  seen: { x2: number; y2: number };
}

/**
 * Per-camera Frigate detect sizes: the configured one when there is one, else the assumed default,
 * raised to the smallest common size that holds every box seen. Learning only ever grows a size
 * (a box proves the frame is at least that big); bounded by `maxCameras`.
 */
export class FrigateResolutions {
  private readonly learned = new Map<string, LearnedResolution>();

  constructor(
    private readonly fallback: Resolution,
    private readonly learn: boolean,
    private readonly maxCameras: number,
  ) {}

  /** Size to normalise `camera`'s boxes with (configured sizes are handled by the caller). */
  sizeFor(camera: string): Resolution {
    return this.learned.get(camera)?.learned ?? this.fallback;
  }

  /**
   * A box of `camera` reached (x2, y2) pixels, beyond {@link sizeFor}: the new size to use, or
   * undefined when learning is off, the camera cap is reached or no common size holds it.
   */
  grow(camera: string, x2: number, y2: number): Resolution | undefined {
    if (!this.learn) return undefined;
    const prior = this.learned.get(camera);
    if (!prior && this.learned.size >= this.maxCameras) return undefined;
    const current = prior?.learned ?? this.fallback;
    const seen = { x2: Math.max(x2, prior?.seen.x2 ?? 0), y2: Math.max(y2, prior?.seen.y2 ?? 0) };
    const next = smallestSizeHolding(seen.x2, seen.y2, current);
    if (!next) return undefined;
    this.learned.set(camera, { camera, assumed: this.fallback, learned: next, seen });
    return next;
  }

  /** Cameras whose size was learned, for health. */
  list(): LearnedResolution[] {
    return [...this.learned.values()];
  }
}
