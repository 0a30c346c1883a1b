import type { ConsensusConfig } from './config.js';
import { compileMasks, type CompiledMasks } from './masks.js';
import type { Track } from './tracks.js';

/** Per-camera settings from `consensus.cameras.<id>` (absent for unlisted cameras). */
export interface CameraSettings {
  readonly width?: number;
  readonly height?: number;
  readonly masks?: CompiledMasks;
  readonly zones: readonly string[];
}

/** Compile `consensus.cameras` once; returns undefined when no cameras are listed (accept any id). */
export function compileCameraSettings(cfg: ConsensusConfig): Map<string, CameraSettings> | undefined {
  if (!cfg.cameras || Object.keys(cfg.cameras).length === 0) return undefined;
  const out = new Map<string, CameraSettings>();
  for (const [id, c] of Object.entries(cfg.cameras)) {
    out.set(id, {
      width: c.width,
      height: c.height,
      masks: c.masks.length ? compileMasks(c.masks) : undefined,
      zones: c.zones,
    });
  }
  return out;
}

/** Reported camera status (`camera/<camera>/status`), `unknown` until one is seen. */
export type CameraStatusName = 'online' | 'offline' | 'error' | 'unknown';

/** Everything the engine knows about one camera. */
export class CameraState {
  /** Tracks in creation order (the order of `fire_locations`). */
  readonly tracks: Track[] = [];
  /** Tracks with a producer id. */
  readonly byKey = new Map<string | number, Track>();
  /** Node owning the camera (from own messages and status), for node availability. */
  node: string | undefined;
  status: CameraStatusName = 'unknown';
  /** Monotonic ms the camera was last heard from (-Infinity = never). */
  lastSeen = -Infinity;
  /** Smoothed interval between messages (ms), for the persistence gap rule. */
  interval = 0;
  /** Next auto-assigned track number (reported as "0", "1", ... like the reference's default "0"). */
  autoSeq = 0;
  /** Results of the last evaluation. */
  seesFire = false;
  voting = false;

  constructor(
    readonly id: string,
    readonly settings: CameraSettings | undefined,
  ) {}

  /** The longest gap a persistent track may have: max(5 s, 3 × observed frame interval). */
  maxGapMs(): number {
    return Math.max(5000, 3 * this.interval);
  }

  /** Note a message at monotonic `t`; `capMs` bounds the interval an outage can contribute. */
  heard(t: number, capMs: number): void {
    if (this.lastSeen !== -Infinity && t > this.lastSeen) {
      const dt = Math.min(t - this.lastSeen, capMs);
      this.interval = this.interval === 0 ? dt : 0.8 * this.interval + 0.2 * dt;
    }
    if (t > this.lastSeen) this.lastSeen = t;
  }
}
