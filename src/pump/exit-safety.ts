import type { Logger } from '../log/logger.js';
import type { PumpConfig } from './config.js';
import type { PumpController } from './controller.js';

/** Options of {@link createPumpExitSafety}. */
export interface PumpExitSafetyOptions {
  controller: Pick<PumpController, 'stop'>;
  logger: Logger;
}

/** The pump's part of a process exit: what the process lifecycle calls first. */
export interface PumpExitSafety {
  /**
   * Engine stop pulse, every output off, final `STOPPED_FOR_EXIT` state published; `why` names the
   * exit in the events (`SIGTERM`, `SIGINT`, `crash`, `shutdown` → reason `exit:<why>`).
   * Idempotent (the first call's `why` wins); never rejects.
   */
  safeStop(why: string): Promise<void>;
}

/**
 * How long the pump's safe stop may take: the ignition-off pulse (never cut short: an exit in the
 * middle leaves the stop relay energised, since rpio keeps levels after exit) plus slack for the
 * last publishes and the driver close. The one source of the pump's exit deadline: the pump part's
 * stop deadline and the process's hard exit deadline (app `stopBudgetMs`) are both derived from it.
 */
export function pumpSafeStopMs(config: Pick<PumpConfig, 'timings'>): number {
  return config.timings.ignitionOffDuration * 1000 + 5000;
}

/**
 * docs/pump.md Safety 7: on SIGTERM, SIGINT, an uncaught exception or an unhandled rejection the
 * engine gets its stop pulse and every output goes off before the process exits. This registers no
 * process handler: `src/app/lifecycle.ts` is the one owner of signals and fatal errors, and calls
 * this (through the app's `safeStop`) before anything else stops. SIGKILL, native crashes and kernel
 * hangs are out of software's reach: the hardware dead-man covers those (hw/README.md).
 */
export function createPumpExitSafety(o: PumpExitSafetyOptions): PumpExitSafety {
  const log = o.logger.child('pump.exit');
  let stopping: Promise<void> | null = null;
  return {
    safeStop(why) {
      stopping ??= o.controller.stop(why).catch((err: unknown) => log.error('safe stop failed', { why, err: String(err) }));
      return stopping;
    },
  };
}
