import { ok } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import type { HealthBody } from '../topics/payloads.js';
import type { HealthSources } from './sources.js';
import { createSystemdNotifier } from './systemd-notify.js';
import { createTelemetry, type Telemetry } from './telemetry.js';

/** The telemetry part, with its service (clock-sync flag for the pump and consensus, listener reports). */
export interface TelemetryPart extends Part<HealthBody> {
  readonly telemetry: Telemetry;
}

/** What the telemetry part needs besides the context. */
export interface TelemetryPartOptions {
  /** Snapshot providers of the parts this node runs (filled by the wiring as parts are built). */
  sources: HealthSources;
  /** Environment for the systemd notifier (NOTIFY_SOCKET, WATCHDOG_USEC); default process.env. */
  env?: Record<string, string | undefined>;
}

/**
 * Telemetry (health + system stats) and the systemd notifier. The watchdog keep-alive runs on this
 * (main) thread, so a hung event loop stops the pings and systemd restarts the service.
 */
export function createTelemetryPart(ctx: PartContext, opts: TelemetryPartOptions): TelemetryPart {
  const telemetry = createTelemetry({
    config: ctx.config.telemetry,
    nodeId: ctx.nodeId,
    version: ctx.version,
    roles: ctx.config.roles,
    logger: ctx.logger.child('telemetry'),
    clock: ctx.clock,
    link: ctx.link,
    bus: ctx.bus,
    sources: opts.sources,
    stateDir: ctx.stateDir,
  });
  const systemd = createSystemdNotifier({ logger: ctx.logger.child('systemd'), clock: ctx.clock, env: opts.env });
  return {
    name: 'telemetry',
    telemetry,
    critical: false,
    async start() {
      await telemetry.start();
      return ok(undefined);
    },
    // systemd (Type=notify): READY=1 once every part runs, which also starts the watchdog
    // keep-alive on this thread; STOPPING=1 as soon as a stop begins.
    ready: () => systemd.ready(`node ${ctx.nodeId} running (${ctx.config.roles.join(', ')})`),
    stopping: () => systemd.stopping(),
    async stop() {
      systemd.stop();
      telemetry.stop();
    },
    status: () => telemetry.health(),
    metrics: () => ({ ...telemetry.metrics(), ...prefix('systemd_', systemd.metrics()) }),
  };
}

function prefix<T extends Record<string, unknown>>(p: string, m: T): Record<string, T[keyof T]> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [`${p}${k}`, v])) as Record<string, T[keyof T]>;
}
