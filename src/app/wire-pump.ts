import { fail, ok, type Result } from '../core/result.js';
import { createPumpController, installPumpExitSafety, type GpioDriver, type PumpController } from '../pump/index.js';
import type { WireContext } from './context.js';
import type { AppPart } from './part.js';
import { guardedLink } from './guarded-link.js';

/** Options for {@link wirePump}. */
export interface WirePumpOptions {
  ctx: WireContext;
  clockSynced: () => boolean;
  /** A ready GPIO driver (tests, demo's mock with a recorded timeline); default from `pump.driver`. */
  driver?: GpioDriver;
  /**
   * Install the process-level exit safety (SIGTERM/SIGINT/uncaught → outputs off). The CLI does;
   * in-process tests do not (they own their process). `onSafe` continues the rest of the shutdown.
   */
  exitSafety?: { onSafe: (why: string, code: number) => void };
}

/**
 * The pump part. Building it drives every output off first (docs/pump.md Safety 1); a driver that cannot
 * open fails the node (a pump node that cannot control its pump must say so, never run without).
 */
export async function wirePump(opts: WirePumpOptions): Promise<Result<{ part: AppPart; controller: () => PumpController | null }>> {
  const { ctx } = opts;
  let controller: PumpController | null = null;
  const guarded = ctx.link ? guardedLink(ctx.link, ctx.logger.child('pump.link')) : null; // local first
  let dispose: (() => void) | null = null;
  // Outputs off first: the controller opens the driver at its OFF levels (Safety 1).
  const prepare = async (): Promise<Result<void>> => {
    if (controller) return ok(undefined);
    const r = await createPumpController({
      config: ctx.config.pump,
      nodeId: ctx.nodeId,
      stateDir: ctx.stateDir,
      logger: ctx.logger,
      clock: ctx.clock,
      bus: ctx.bus,
      link: guarded?.link,
      driver: opts.driver,
      clockSynced: opts.clockSynced,
      triggerTtlSeconds: ctx.config.consensus.triggerTtlSeconds,
      refusalSummaryMs: ctx.config.log.refusalSummarySeconds * 1000,
    });
    if (!r.ok) return fail(r.reason);
    controller = r.value;
    return ok(undefined);
  };
  const part: AppPart = {
    name: 'pump',
    critical: true,
    // The safe stop includes the ignition-off pulse: it must run to its end (docs/pump.md Safety 7).
    stopDeadlineMs: ctx.config.pump.timings.ignitionOffDuration * 1000 + 5000,
    prepare,
    async start() {
      const prepared = await prepare();
      if (!prepared.ok || !controller) return prepared;
      if (opts.exitSafety) dispose = installPumpExitSafety({ controller, logger: ctx.logger, onSafe: opts.exitSafety.onSafe });
      controller.start();
      return ok(undefined);
    },
    async stop() {
      // Safe stop first (ignition-off pulse, all outputs off); the exit hooks go after.
      await controller?.stop();
      dispose?.();
    },
    snapshot: () => controller?.snapshot() ?? null,
    metrics: () => ({ ...(controller?.metrics() ?? {}), link_errors: guarded?.errors() ?? 0 }),
  };
  return ok({ part, controller: () => controller });
}
