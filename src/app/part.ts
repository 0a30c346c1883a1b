import type { Result } from '../core/result.js';
import type { MetricSnapshot } from '../core/metrics.js';

/**
 * What the app needs from every wired part: start it (errors as values), stop it (never throws),
 * and read its status and counters for health, the status page and /metrics.
 */
export interface AppPart {
  /** Stable name: `broker`, `mqtt`, `pump`, `consensus`, `camera`, `telemetry`, `http`, `notify`. */
  readonly name: string;
  /** Safety parts (pump) refuse to be skipped: a failed start stops the whole node. */
  readonly critical: boolean;
  /**
   * How long its stop may take before the app moves on (default: the app's per-part deadline).
   * The pump's stop includes the engine stop pulse, which must never be cut short.
   */
  readonly stopDeadlineMs?: number;
  /**
   * Called for every part before any part starts (before the broker and the link): the pump opens
   * its GPIO and drives every output off here (docs/pump.md Safety 1: all outputs off before anything
   * else), so a node that then fails to start still leaves its relays off. Errors as values.
   */
  prepare?(): Promise<Result<void>>;
  start(): Promise<Result<void>>;
  stop(): Promise<void>;
  snapshot?(): unknown;
  metrics?(): MetricSnapshot;
  /** Called once every part has started (systemd READY=1 goes here). Never throws. */
  ready?(): Promise<void>;
  /** Called first when the node begins to stop, before any part stops (systemd STOPPING=1). */
  stopping?(): Promise<void>;
  /**
   * Process exit only (signal, fatal error): make the hardware safe before anything else stops,
   * with the exit named (`SIGTERM`, `crash`, ...). The pump gives the engine its stop pulse and
   * turns every output off (docs/pump.md Safety 7). Its later `stop()` is then a no-op. Never rejects.
   */
  safeStop?(why: string): Promise<void>;
}

/** Run `p` but give up after `ms`, so one stuck part cannot stall shutdown (docs/style.md rule 9). */
export async function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
