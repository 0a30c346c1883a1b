/**
 * Main-thread side of the detector worker (docs/design.md; docs/style.md rule 8, homebridge-style child
 * behind a typed protocol): starts the ONE worker, validates every message with the protocol
 * schema, restarts a crashed worker with bounded jittered backoff and gives up loudly after
 * `maxCrashes` crashes in a row. Resolves the worker script both from source (vitest/tsx:
 * `worker.ts` through tsx) and from the bundle (sibling `detect-worker.mjs`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../core/clock.js';
import { backoffDelayMs } from '../core/backoff.js';
import type { Random } from '../core/random.js';
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import { fromWorkerSchema, type FromWorker, type WorkerInit } from './worker-protocol.js';

/** Where the worker script is; `tsx` when it is TypeScript source that needs tsx's loader. */
export interface WorkerScript {
  url: URL;
  tsx: boolean;
}

/** The worker script next to this module: `worker.ts` from source, `detect-worker.mjs` in the bundle. */
export function resolveWorkerScript(self: string = import.meta.url): WorkerScript {
  if (self.endsWith('.ts')) return { url: new URL('./worker.ts', self), tsx: true };
  return { url: new URL('./detect-worker.mjs', self), tsx: false };
}

/**
 * Starts a worker on `script`. Node 20 does not apply `--import tsx` from a worker's execArgv to
 * the worker's own entry module ("Unknown file extension .ts"), so from source a tiny eval
 * bootstrap registers tsx inside the worker first and then imports worker.ts.
 */
function startWorker(script: WorkerScript, workerData: unknown): Worker {
  // The worker's garbage is mostly short-lived wrappers of ffmpeg pipe chunks; a small young
  // generation collects them (and their external memory) sooner, keeping peak RSS down (bench).
  const resourceLimits = { maxYoungGenerationSizeMb: 4 };
  if (!script.tsx) return new Worker(script.url, { workerData, stdout: false, stderr: false, resourceLimits });
  // The ESM entry of tsx's API, as its package.json exports it (require.resolve would give the CJS one).
  const pkgPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api'].import.default)).href;
  const code = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(script.url.href)}); });`;
  return new Worker(code, { eval: true, workerData, stdout: false, stderr: false, resourceLimits });
}

/** The `ready` message's model description. */
export type ReadyModel = Extract<FromWorker, { type: 'ready' }>['model'];

/** Options of {@link WorkerHost}. */
export interface WorkerHostOptions {
  init: WorkerInit;
  logger: Logger;
  clock: Clock;
  random: Random;
  /** Every valid message except ready/fatal/stopped. */
  onMessage: (m: FromWorker) => void;
  /** The worker died unexpectedly (a restart is scheduled unless `gaveUp`). */
  onCrash: (reason: string, gaveUp: boolean) => void;
  script?: WorkerScript;
  restartMinMs?: number;
  restartMaxMs?: number;
  maxCrashes?: number;
  /** Grace for a clean stop before terminate() [5 000 ms]. */
  stopGraceMs?: number;
}

/** Host state. */
export type HostState = 'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** Supervises the detector worker. */
export class WorkerHost {
  private worker: Worker | null = null;
  private timer: TimerHandle | null = null;
  private crashesInARow = 0;
  /** Set by recycle(): the reason the next exit is reported with. */
  private recycleReason: string | null = null;
  /** Worker restarts after crashes. */
  restarts = 0;
  /** Messages that failed protocol validation. */
  rejected = 0;
  state: HostState = 'idle';
  model: ReadyModel | null = null;

  constructor(private readonly opts: WorkerHostOptions) {}

  /** Starts the worker and waits for `ready` (ok) or `fatal`/early exit (the reason). */
  start(): Promise<Result<ReadyModel>> {
    this.state = 'starting';
    return this.spawn();
  }

  private spawn(): Promise<Result<ReadyModel>> {
    const script = this.opts.script ?? resolveWorkerScript();
    const log = this.opts.logger;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: Result<ReadyModel>) => {
        if (!settled) {
          settled = true;
          resolve(r);
        }
      };
      let w: Worker;
      try {
        w = startWorker(script, this.opts.init);
      } catch (err) {
        settle(fail(`detector worker could not start: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      this.worker = w;
      let fatal: string | null = null;
      let lastError = '';
      w.on('message', (raw: unknown) => {
        const parsed = fromWorkerSchema.safeParse(raw);
        if (!parsed.success) {
          this.rejected++;
          log.warn('rejected a malformed worker message', { error: parsed.error.issues[0]?.message });
          return;
        }
        const m = parsed.data;
        if (m.type === 'ready') {
          this.model = m.model;
          this.state = 'running';
          settle(ok(m.model));
        } else if (m.type === 'fatal') {
          fatal = m.reason;
          settle(fail(m.reason));
        } else if (m.type === 'detections') {
          // A worker that processes frames is healthy again.
          this.crashesInARow = 0;
          this.opts.onMessage(m);
        } else if (m.type !== 'stopped') {
          this.opts.onMessage(m);
        }
      });
      w.on('error', (err) => {
        lastError = err instanceof Error ? err.message : String(err);
        log.error('detector worker error', { error: lastError });
      });
      w.on('exit', (code) => {
        if (this.worker === w) this.worker = null;
        // Before `ready` the caller of spawn() decides: start() reports the reason, a restart counts
        // it as one more crash. Only the very first start leaves the host `failed` here.
        if (fatal !== null || !settled) {
          if (this.state === 'starting') this.state = 'failed';
          settle(fail(`detector worker exited with code ${code} before it was ready${lastError ? `: ${lastError}` : ''}`));
          return;
        }
        if (this.state === 'stopped') return;
        const why = this.recycleReason ?? `detector worker exited with code ${code}${lastError ? `: ${lastError}` : ''}`;
        this.recycleReason = null;
        this.crashed(why);
      });
    });
  }

  private crashed(reason: string): void {
    this.crashesInARow++;
    const max = this.opts.maxCrashes ?? 5;
    if (this.crashesInARow > max) {
      this.state = 'failed';
      this.opts.logger.error('detector worker keeps crashing; giving up', { reason, crashes: this.crashesInARow });
      this.opts.onCrash(`${reason}; gave up after ${max} restarts`, true);
      return;
    }
    const delay = backoffDelayMs(this.crashesInARow, { baseMs: this.opts.restartMinMs ?? 1000, capMs: this.opts.restartMaxMs ?? 30_000, random: this.opts.random, jitter: 'equal' });
    this.state = 'restarting';
    this.opts.logger.error('detector worker crashed; restarting', { reason, delayMs: delay, crashes: this.crashesInARow });
    this.opts.onCrash(reason, false);
    this.timer = this.opts.clock.setTimer(delay, () => {
      this.timer = null;
      if (this.state !== 'restarting') return;
      this.restarts++;
      void this.spawn().then((r) => {
        if (!r.ok && this.state !== 'stopped') this.crashed(r.reason);
      });
    });
  }

  /**
   * Ends a worker that is alive but stuck (the caller's liveness check saw no results): its exit is
   * handled like a crash, so it is restarted with backoff and counted.
   */
  recycle(reason: string): void {
    const w = this.worker;
    if (!w || this.state !== 'running') return;
    this.recycleReason = reason;
    void w.terminate();
  }

  /**
   * Moves a camera's source to a new URL (discovery followed it); also remembered for a restarted
   * worker, which starts from the init data.
   */
  setCameraUrl(camera: string, url: string): void {
    const cams = this.opts.init.cameras as Array<{ id: string; url?: string }>;
    const c = cams.find((x) => x.id === camera);
    if (!c) return;
    c.url = url;
    this.worker?.postMessage({ type: 'camera.url', camera, url });
  }

  /**
   * Sends a raw message to the worker. The worker validates every message against the protocol and
   * ignores one that does not parse (logging a warning), so a bad message cannot crash it; crashes
   * are tested with {@link kill} and by removing the model.
   */
  post(msg: unknown): void {
    this.worker?.postMessage(msg);
  }

  /** Stops the worker: `stop` message, wait for exit, terminate after the grace. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.timer?.cancel();
    const w = this.worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void w.terminate(), this.opts.stopGraceMs ?? 5_000);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      w.postMessage({ type: 'stop' });
    });
    this.worker = null;
  }

  /** Kills the worker abruptly (tests: simulate a crash). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
  }
}
