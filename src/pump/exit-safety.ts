import type { Logger } from '../log/logger.js';
import type { PumpController } from './controller.js';

/** The bits of `process` we hook (injectable for tests). */
export interface ExitProcess {
  on(ev: string, fn: (...args: unknown[]) => void): unknown;
  removeListener(ev: string, fn: (...args: unknown[]) => void): unknown;
  exit(code?: number): never | void;
}

/** Options of {@link installPumpExitSafety}. */
export interface PumpExitSafetyOptions {
  controller: Pick<PumpController, 'stop'>;
  logger: Logger;
  process?: ExitProcess;
  /**
   * Called once the pump is safe (engine stop pulse given, every output off, final state
   * published). Default: exit with 0 for signals, 1 for crashes. Main passes its own to finish the
   * rest of its shutdown (MQTT `offline` last).
   */
  onSafe?: (why: string, exitCode: number) => void;
  /** Hard deadline for the safe stop before onSafe is called anyway (default 45 s: longer than the longest stop pulse, 30 s). */
  deadlineMs?: number;
}

/**
 * docs/pump.md Safety 7: on SIGTERM, SIGINT, an uncaught exception or an unhandled rejection the engine
 * gets its stop pulse and every output goes off before the process exits. SIGKILL, native crashes
 * and kernel hangs are out of software's reach: the hardware dead-man covers those (hw/README.md).
 * Returns a disposer that removes the handlers.
 */
export function installPumpExitSafety(o: PumpExitSafetyOptions): () => void {
  const proc = o.process ?? (process as unknown as ExitProcess);
  const log = o.logger.child('pump.exit');
  let done = false;
  const safe = (why: string, code: number) => {
    if (done) return;
    done = true;
    const finish = () => (o.onSafe ? o.onSafe(why, code) : proc.exit(code));
    // A stop that hangs (a wedged driver) must not keep the process alive forever: the deadline
    // still exits, and systemd's restart + the boot rule (outputs off first) take over.
    const deadline = setTimeout(() => {
      log.error('safe stop did not finish before the deadline; exiting anyway', { why });
      finish();
    }, o.deadlineMs ?? 45_000);
    o.controller
      .stop(why)
      .catch((err: unknown) => log.error('safe stop failed', { err: String(err) }))
      .finally(() => {
        clearTimeout(deadline);
        finish();
      });
  };
  const onSigterm = () => {
    log.warn('SIGTERM: stopping the pump safely');
    safe('SIGTERM', 0);
  };
  const onSigint = () => {
    log.warn('SIGINT: stopping the pump safely');
    safe('SIGINT', 0);
  };
  const onCrash = (err: unknown) => {
    log.fatal('uncaught error: stopping the pump safely before exit', { err: err instanceof Error ? err.stack : String(err) });
    safe('crash', 1);
  };
  const handlers: Array<[string, (...a: unknown[]) => void]> = [
    ['SIGTERM', onSigterm],
    ['SIGINT', onSigint],
    ['uncaughtException', onCrash],
    ['unhandledRejection', onCrash],
  ];
  for (const [ev, fn] of handlers) proc.on(ev, fn);
  return () => {
    for (const [ev, fn] of handlers) proc.removeListener(ev, fn);
  };
}
