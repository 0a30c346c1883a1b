import type { Clock, TimerHandle } from './clock.js';

/** Options of {@link repeatEvery}. */
export interface RepeatOptions {
  /** Run the job once right away, then every period (default: first run after one period). */
  immediate?: boolean;
  /**
   * When the next run is armed relative to the job: `after` it returns (default; a job that
   * returns `false` ends the repetition), or `before` it runs (the period holds even while a job is
   * slow or throws: watchdogs, health and telemetry ticks).
   */
  rearm?: 'before' | 'after';
}

/**
 * A job repeated every `periodMs` on the injected clock until cancelled, or until the job returns
 * `false`: one helper where the parts had six hand-written re-arming timers (issue 15). A job that
 * throws still gets its next run. Cancelling is idempotent and stops a run already armed.
 */
export function repeatEvery(clock: Clock, periodMs: number, job: () => boolean | void, opts: RepeatOptions = {}): TimerHandle {
  let timer: TimerHandle | undefined;
  let cancelled = false;
  const rearmBefore = opts.rearm === 'before';
  const arm = (): void => {
    timer = clock.setTimer(periodMs, run);
  };
  const run = (): void => {
    if (cancelled) return;
    if (rearmBefore) arm();
    let again = true;
    try {
      again = job() !== false;
    } finally {
      if (!rearmBefore && again && !cancelled) arm();
    }
    if (rearmBefore && !again) handle.cancel();
  };
  const handle: TimerHandle = {
    cancel() {
      cancelled = true;
      timer?.cancel();
    },
  };
  if (opts.immediate) run();
  else arm();
  return handle;
}
