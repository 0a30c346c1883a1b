import type { Logger } from '../log/logger.js';
import type { App } from './app.js';

/** Options for {@link createLifecycle}. */
export interface LifecycleOptions {
  logger: Logger;
  /** Whole-process deadline after the first stop request; past it the process exits hard. Default 15000 ms. */
  hardExitMs?: number;
  /** Called to end the process (tests replace it). Default process.exit. */
  exit?: (code: number) => void;
}

/** The process lifecycle: one owner of signals and fatal errors for a running app. */
export interface Lifecycle {
  /** Attach an app: from now on a signal or a fatal error stops it. Resolves with the exit code. */
  run(app: App): Promise<number>;
  /** Ask for a stop (the pump's exit safety calls this once the pump is safe). Idempotent. */
  request(reason: string, code: number): void;
}

/**
 * Signals and fatal errors → a bounded shutdown (docs/style.md rule 9). The app's stop puts the pump
 * safe first; a hard exit deadline guarantees the process ends even if a part hangs (systemd would
 * SIGKILL later; the hardware dead-man covers the rest). A second signal does not cut the safe stop
 * short (the engine stop pulse must finish); the hard deadline still bounds it. Uncaught
 * exceptions and rejections are bugs: pump safe (the app stop), log fatal, exit 1.
 */
export function createLifecycle(opts: LifecycleOptions): Lifecycle {
  const log = opts.logger.child('app');
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const hardExitMs = opts.hardExitMs ?? 15_000;
  let app: App | null = null;
  let resolveRun: ((code: number) => void) | null = null;
  let stopping = false;
  let pending: { reason: string; code: number } | null = null;
  let exitCode = 0;

  function request(reason: string, code: number): void {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    if (!app) {
      pending ??= { reason, code };
      return;
    }
    stopping = true;
    const hard = setTimeout(() => {
      log.fatal('shutdown deadline passed; exiting hard', { deadline_ms: hardExitMs });
      exit(exitCode || 1);
    }, hardExitMs);
    hard.unref();
    void app.stop(reason).then(() => {
      clearTimeout(hard);
      detach();
      resolveRun?.(exitCode);
    });
  }

  let signals = 0;
  const onSignal = (name: string) => (): void => {
    signals++;
    if (signals > 1) {
      // Exiting here would cut the engine stop pulse short and leave the ignition-off relay
      // energised (rpio keeps levels after exit): docs/pump.md Safety 7. The hard deadline bounds the wait.
      log.warn('signal received while stopping: the safe stop finishes first (SIGKILL to force)', { signal: name, deadline_ms: hardExitMs });
      return;
    }
    log.info('signal received: stopping', { signal: name });
    request(name, 0);
  };
  const onSigterm = onSignal('SIGTERM');
  const onSigint = onSignal('SIGINT');
  const onFatal = (kind: string) => (err: unknown): void => {
    const e = err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : { value: String(err) };
    log.fatal(`${kind}: stopping safely`, { error: e });
    request(kind, 1);
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

  return {
    run(a) {
      app = a;
      const done = new Promise<number>((resolve) => {
        resolveRun = resolve;
      });
      if (pending) request(pending.reason, pending.code);
      return done;
    },
    request,
  };
}
