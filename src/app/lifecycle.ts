import type { Logger } from '../log/logger.js';
import type { App } from './app.js';

/** Options for {@link createLifecycle}. */
export interface LifecycleOptions {
  logger: Logger;
  /**
   * Whole-process deadline after the first stop request; past it the process exits hard. Derived
   * from the config by the caller (`stopBudgetMs`: the pump's safe stop, the MQTT close grace and
   * slack), so it is never shorter than the engine stop pulse.
   */
  hardExitMs: number;
  /** Called to end the process (tests replace it). Default process.exit. */
  exit?: (code: number) => void;
}

/** What the lifecycle stops: an {@link App}, or anything with its two stop steps (fixtures). */
export type LifecycleTarget = Pick<App, 'stop'> & Partial<Pick<App, 'safeStop'>>;

/** The process lifecycle: the one owner of signals and fatal errors for a running app. */
export interface Lifecycle {
  /** Attach an app: from now on a signal or a fatal error stops it. Resolves with the exit code. */
  run(app: LifecycleTarget): Promise<number>;
  /** Ask for a stop (a failed start, the demo's end). Idempotent: the first request's reason wins. */
  request(reason: string, code: number): void;
}

/** The `why` the pump's exit events carry (`exit:SIGTERM`, `exit:crash`, ...; docs/pump.md Safety 7). */
function safeStopWhy(reason: string, code: number): string {
  if (reason === 'SIGTERM' || reason === 'SIGINT') return reason;
  return code !== 0 && FATAL.has(reason) ? 'crash' : 'shutdown';
}
const FATAL = new Set(['uncaught exception', 'unhandled rejection']);

/**
 * Signals and fatal errors → a bounded shutdown (docs/style.md rule 9). This is the only module
 * that registers process handlers (SIGTERM, SIGINT, uncaughtException, unhandledRejection: a test
 * keeps it so). A stop runs the app's safe stop first (the pump: engine stop pulse, every output
 * off, final state published; docs/pump.md Safety 7), then the app's ordered stop (producers, the
 * MQTT link with `offline`, the broker). One hard exit deadline, from the config, guarantees the
 * process ends even if a part hangs (systemd would SIGKILL later; the hardware dead-man covers the
 * rest). A second signal does not cut the safe stop short (the engine stop pulse must finish); the
 * hard deadline still bounds it. Uncaught exceptions and rejections are bugs: pump safe, log
 * fatal, exit 1. Each signal or fatal error is logged once.
 */
export function createLifecycle(opts: LifecycleOptions): Lifecycle {
  const log = opts.logger.child('app');
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const hardExitMs = opts.hardExitMs;
  let app: LifecycleTarget | null = null;
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
    const target = app;
    void (async () => {
      // Outputs safe before anything else stops, with the exit named in the pump's events.
      await target.safeStop?.(safeStopWhy(reason, code)).catch((e: unknown) => log.error('safe stop failed', { error: String(e) }));
      await target.stop(reason);
      clearTimeout(hard);
      detach();
      resolveRun?.(exitCode);
    })();
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
