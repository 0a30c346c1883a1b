import type { Logger } from '../log/logger.js';
import type { App } from './app.js';

/** Options for {@link runUntilSignal}. */
export interface LifecycleOptions {
  app: App;
  logger: Logger;
  /** Whole-process deadline after the first signal; past it the process exits hard. Default 15000 ms. */
  hardExitMs?: number;
  /** Called to end the process (tests replace it). Default process.exit. */
  exit?: (code: number) => void;
}

/**
 * Run a started app until SIGTERM/SIGINT, then stop it in bounded time (STYLE.md rule 9): the app's
 * stop puts the pump safe first; a hard exit deadline guarantees the process ends even if a part
 * hangs (systemd would SIGKILL later; the hardware dead-man covers the rest). A second signal exits
 * at once. Uncaught exceptions and rejections are bugs: pump safe (the app stop), log fatal, exit 1.
 * Resolves with the exit code.
 */
export function runUntilSignal(opts: LifecycleOptions): Promise<number> {
  const { app, logger } = opts;
  const log = logger.child('app');
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const hardExitMs = opts.hardExitMs ?? 15_000;
  return new Promise<number>((resolve) => {
    let shuttingDown = false;
    const shutdown = (reason: string, code: number): void => {
      if (shuttingDown) {
        log.warn('second signal: exiting now', { reason });
        exit(code || 130);
        return;
      }
      shuttingDown = true;
      const hard = setTimeout(() => {
        log.fatal('shutdown deadline passed; exiting hard', { deadline_ms: hardExitMs });
        exit(code || 1);
      }, hardExitMs);
      hard.unref();
      void app.stop(reason).then(() => {
        clearTimeout(hard);
        detach();
        resolve(code);
      });
    };
    const onSigterm = (): void => shutdown('SIGTERM', 0);
    const onSigint = (): void => shutdown('SIGINT', 0);
    const onFatal = (kind: string) => (err: unknown): void => {
      const e = err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { value: String(err) };
      log.fatal(`${kind}: stopping safely`, { error: e });
      shutdown(kind, 1);
    };
    const onException = onFatal('uncaught exception');
    const onRejection = onFatal('unhandled rejection');
    process.on('SIGTERM', onSigterm);
    process.on('SIGINT', onSigint);
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
    function detach(): void {
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    }
  });
}
