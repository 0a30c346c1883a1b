/**
 * One camera's watchdog (docs/detector.md "Cameras"; docs/style.md rules 3 and 8): runs its frame source,
 * writes frames into the camera's {@link FrameSlot}, restarts a source that exits or delivers no
 * complete frame for `stallSeconds` with jittered backoff, gives up loudly after `maxRestarts`
 * consecutive failures (0: never), and reports status transitions. Clock and chance are injected.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { repeatEvery } from '../core/repeat.js';
import type { Random } from '../core/random.js';
import { redactUrl } from '../log/redact.js';
import type { CameraConfig } from './config.js';
import { cameraUrlKind, effectiveStaleSeconds } from './config.js';
import { frameHash } from './frame-hash.js';
import { FrameSlot } from './frame-slot.js';
import { restartBackoff } from './restart-backoff.js';
import type { FrameSource, SourceEnd, SourceFactory } from './source.js';

/**
 * Supervisor states; `ended` is a finished non-looping file or folder, `failed` the restart cap,
 * `stale` a source that still runs but delivers no new picture (identical frames for staleSeconds,
 * or ffmpeg reported a read timeout); a stale source is restarted (`backoff` follows at once).
 */
export type SupervisorState = 'idle' | 'starting' | 'online' | 'stale' | 'backoff' | 'ended' | 'failed' | 'stopped';

/** The camera status of docs/topics.md (`camera/<camera>/status`) without envelope fields. */
export interface CameraStatusSnapshot {
  status: 'online' | 'offline' | 'error';
  fps: number;
  frames: number;
  dropped: number;
  /** Epoch seconds of the last complete frame, or null. */
  last_frame_at: number | null;
  /** Why the camera is not online (redacted), or null. */
  error: string | null;
  /** Restarts since the process started. */
  restarts: number;
  /** Frames that repeated the previous picture byte for byte (not handed to the detector). */
  repeated: number;
}

/** Options of {@link CameraSupervisor}. */
export interface CameraSupervisorOptions {
  camera: CameraConfig;
  clock: Clock;
  random: Random;
  factory: SourceFactory;
  /** Called on every state transition, with the reason and the new status. */
  onTransition?: (from: SupervisorState, to: SupervisorState, reason: string, status: CameraStatusSnapshot) => void;
  /** Called after each frame is written to the slot (the scheduler's wake-up). */
  onFrame?: () => void;
}

/** Watchdog and frame slot of one camera. */
export class CameraSupervisor {
  /** The camera's latest-wins frame slot. */
  readonly slot: FrameSlot;
  private state: SupervisorState = 'idle';
  private source: FrameSource | null = null;
  private timer: TimerHandle | null = null;
  private readonly backoff;
  private lastFrameMono = 0;
  private lastFrameWall = 0;
  private startedMono = 0;
  private emaIntervalMs = 0;
  private error: string | null = null;
  private errorIsFailure = false;
  private restarts = 0;
  private failuresInARow = 0;
  private generation = 0;
  private readonly stallMs: number;
  private readonly staleMs: number;
  private readonly finite: boolean;
  /** Any complete frame of the running source, repeated or not (what the stall check watches). */
  private lastAnyFrameMono = 0;
  /** Hash of the last picture and since when (monotonic ms) frames have repeated it; kept across restarts. */
  private lastHash = -1;
  private sameSinceMono = 0;
  private repeated = 0;

  constructor(private readonly opts: CameraSupervisorOptions) {
    const c = opts.camera;
    this.slot = new FrameSlot(c.width * c.height * 3);
    this.backoff = restartBackoff(c.restartMinSeconds * 1000, c.restartMaxSeconds * 1000, opts.random);
    this.stallMs = c.stallSeconds * 1000;
    this.staleMs = effectiveStaleSeconds(c) * 1000;
    const kind = cameraUrlKind(c.url);
    // A non-looping file or folder ends for good; a stream that "ends" is restarted.
    this.finite = !c.loop && (kind === 'file' || kind === 'dir');
  }

  /** Current state. */
  get current(): SupervisorState {
    return this.state;
  }

  /** The camera status for `camera/<camera>/status`. */
  status(): CameraStatusSnapshot {
    const online = this.state === 'online';
    return {
      status: online ? 'online' : this.errorIsFailure && (this.state === 'backoff' || this.state === 'failed') ? 'error' : 'offline',
      fps: online && this.emaIntervalMs > 0 ? Math.round((1000 / this.emaIntervalMs) * 100) / 100 : 0,
      frames: this.slot.written,
      dropped: this.slot.dropped,
      last_frame_at: this.lastFrameWall ? this.lastFrameWall / 1000 : null,
      error: online ? null : this.error,
      restarts: this.restarts,
      repeated: this.repeated,
    };
  }

  /** Starts the source. */
  start(): void {
    if (this.state !== 'idle') return;
    this.launch('start');
  }

  /** Stops the source and every timer; no transition but `stopped` follows. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.timer?.cancel();
    this.timer = null;
    this.generation++;
    const s = this.source;
    this.source = null;
    this.go('stopped', 'stop requested');
    await s?.stop();
  }

  private go(to: SupervisorState, reason: string): void {
    const from = this.state;
    if (from === to && to !== 'backoff') return;
    this.state = to;
    this.opts.onTransition?.(from, to, reason, this.status());
  }

  private launch(reason: string): void {
    const gen = ++this.generation;
    const c = this.opts.camera;
    this.startedMono = this.opts.clock.now();
    this.emaIntervalMs = 0;
    this.go('starting', reason);
    // A source that cannot even be created (or started) is this camera's failure, never the
    // worker's: the other cameras keep running and this one retries with backoff.
    try {
      this.openSource(gen, c);
    } catch (err) {
      this.fail({ kind: 'error', message: `cannot open the source: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private openSource(gen: number, c: CameraConfig): void {
    this.source = this.opts.factory(
      { url: c.url, width: c.width, height: c.height, fps: c.fps, loop: c.loop, rtspTransport: c.rtspTransport, timeoutSeconds: c.timeoutSeconds, httpMode: c.httpMode },
      {
        onFrame: (frame) => {
          if (gen === this.generation) this.frame(frame);
        },
        onEnd: (end) => {
          if (gen === this.generation) this.ended(end);
        },
      },
    );
    this.armStallCheck(gen);
    this.source.start();
  }

  private frame(frame: Uint8Array): void {
    const now = this.opts.clock.now();
    this.lastAnyFrameMono = now;
    if (this.staleMs > 0) {
      const c = this.opts.camera;
      const h = frameHash(frame, c.width, c.height);
      if (h === this.lastHash) {
        // The same picture again is not a new observation: it never reaches the detector (which
        // would stamp it with the current time) and never counts as the camera being alive.
        this.repeated++;
        const same = now - this.sameSinceMono;
        if (same >= this.staleMs) {
          const s = Math.round(same / 100) / 10;
          this.goStale(`stale: identical frames for ${s} s (the stream repeats an old picture; a camera whose picture never changes at all needs staleSeconds: 0)`);
        }
        return;
      }
      this.lastHash = h;
      this.sameSinceMono = now;
    }
    this.slot.write(frame, this.opts.clock.wallNow());
    if (this.lastFrameMono > 0 && this.state === 'online') {
      const dt = now - this.lastFrameMono;
      this.emaIntervalMs = this.emaIntervalMs === 0 ? dt : this.emaIntervalMs * 0.8 + dt * 0.2;
    }
    this.lastFrameMono = now;
    this.lastFrameWall = this.opts.clock.wallNow();
    if (this.state !== 'online') {
      this.backoff.reset();
      this.failuresInARow = 0;
      this.error = null;
      this.errorIsFailure = false;
      this.go('online', 'frames arriving');
    }
    this.opts.onFrame?.();
  }

  /** A periodic check owned by the running source: no complete frame for stallSeconds restarts it. */
  private armStallCheck(gen: number): void {
    const period = Math.max(50, Math.min(1000, this.stallMs / 4));
    this.timer = repeatEvery(this.opts.clock, period, () => {
      if (gen !== this.generation) return false;
      const now = this.opts.clock.now();
      const since = Math.max(this.lastAnyFrameMono, this.startedMono);
      if (now - since < this.stallMs) return true;
      const s = this.opts.camera.stallSeconds;
      this.fail({ kind: 'eof', message: `no complete frame for ${s} s (stalled)` });
      return false;
    });
  }

  /** The source runs but delivers no new picture: say so, then restart it like a stall. */
  private goStale(reason: string): void {
    this.error = redactUrl(reason);
    this.errorIsFailure = false;
    this.go('stale', this.error);
    this.fail({ kind: 'stale', message: reason });
  }

  private ended(end: SourceEnd): void {
    if (end.kind === 'stale') {
      this.goStale(end.message.startsWith('stale:') ? end.message : `stale: ${end.message}`);
      return;
    }
    if (end.kind === 'eof' && this.finite) {
      this.timer?.cancel();
      this.generation++;
      const s = this.source;
      this.source = null;
      void s?.stop();
      this.error = end.message;
      this.errorIsFailure = false;
      this.go('ended', end.message);
      return;
    }
    this.fail(end);
  }

  private fail(end: SourceEnd): void {
    this.timer?.cancel();
    this.generation++;
    const old = this.source;
    this.source = null;
    void old?.stop();
    this.error = redactUrl(end.message);
    this.errorIsFailure = end.kind === 'error';
    this.failuresInARow++;
    const cap = this.opts.camera.maxRestarts;
    if (cap > 0 && this.failuresInARow > cap) {
      this.error = `gave up after ${cap} restart(s) without a frame: ${this.error}`;
      this.errorIsFailure = true;
      this.go('failed', this.error);
      return;
    }
    const delay = this.backoff.next();
    this.go('backoff', `${this.error}; restarting in ${(delay / 1000).toFixed(1)} s`);
    const gen = this.generation;
    this.timer = this.opts.clock.setTimer(delay, () => {
      if (gen !== this.generation) return;
      this.restarts++;
      this.launch(`restart ${this.restarts} after: ${this.error}`);
    });
  }
}
