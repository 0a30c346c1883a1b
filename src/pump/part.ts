import { fail, ok, type Result } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import { guardedLink } from '../mqtt/index.js';
import { createPumpController, type PumpController, type PumpSnapshot } from './controller.js';
import { createPumpExitSafety, pumpSafeStopMs, type PumpExitSafety } from './exit-safety.js';
import type { GpioDriver } from './gpio-driver.js';

/** The pump part; its controller exists once prepared (GPIO open, outputs off). */
export interface PumpPart extends Part<PumpSnapshot | null> {
  controller(): PumpController | null;
}

/** What the pump part needs besides the context. */
export interface PumpPartOptions {
  /** Telemetry's clock-sync flag (docs/topics.md "Time"). */
  clockSynced: () => boolean;
  /** A ready GPIO driver (tests, demo's mock with a recorded timeline); default from `pump.driver`. */
  driver?: GpioDriver;
}

/**
 * The pump part. Building it drives every output off first (docs/pump.md Safety 1); a driver that cannot
 * open fails the node (a pump node that cannot control its pump must say so, never run without).
 */
export function createPumpPart(ctx: PartContext, opts: PumpPartOptions): PumpPart {
  let controller: PumpController | null = null;
  const guarded = ctx.link ? guardedLink(ctx.link, ctx.logger.child('pump.link')) : null; // local first
  let exitSafety: PumpExitSafety | null = null;
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
      ids: ctx.ids,
      link: guarded?.link,
      driver: opts.driver,
      clockSynced: opts.clockSynced,
      triggerTtlSeconds: ctx.config.consensus.triggerTtlSeconds,
      refusalSummaryMs: ctx.config.log.refusalSummarySeconds * 1000,
    });
    if (!r.ok) return fail(r.reason);
    controller = r.value;
    exitSafety = createPumpExitSafety({ controller, logger: ctx.logger });
    return ok(undefined);
  };
  return {
    name: 'pump',
    critical: true,
    // The safe stop includes the ignition-off pulse: it must run to its end (docs/pump.md Safety 7).
    stopDeadlineMs: pumpSafeStopMs(ctx.config.pump),
    prepare,
    async start() {
      const prepared = await prepare();
      if (!prepared.ok || !controller) return prepared;
      controller.start();
      return ok(undefined);
    },
    async stop() {
      // Ignition-off pulse, all outputs off; after a process exit's safeStop this is the same stop.
      await controller?.stop();
    },
    // The process lifecycle calls this first on a signal or fatal error (the pump's exit safety).
    safeStop: async (why) => exitSafety?.safeStop(why),
    status: () => controller?.snapshot() ?? null,
    metrics: () => ({ ...(controller?.metrics() ?? {}), link_errors: guarded?.errors() ?? 0 }),
    controller: () => controller,
  };
}
