import { mkdirSync } from 'node:fs';
import { createAppBus, type AppBus } from '../bus/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import { createIdSource } from '../core/ids.js';
import type { MetricSnapshot } from '../core/metrics.js';
import type { Random } from '../core/random.js';
import { fail, ok, type Result } from '../core/result.js';
import type { AppConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { PartContext } from '../core/part.js';
import { pumpSafeStopMs } from '../pump/index.js';
import { withDeadline, type AppPart } from './part.js';
import { readVersion } from './paths.js';
import { buildParts, stopRank, type PartOverrides } from './parts.js';

/** Options for {@link createApp}: one object (docs/style.md rule 5). */
export interface AppOptions {
  config: AppConfig;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /** Test and demo hooks (replacement drivers, extra listeners); production passes none. */
  overrides?: PartOverrides;
  /** Per-part stop deadline (ms) unless the part sets its own; the process-level hard exit is the CLI's. Default 5000. */
  stopPartMs?: number;
}

/** A running node: every configured part, started in order, stopped in the safety order. */
export interface App {
  readonly bus: AppBus;
  readonly context: PartContext;
  /** Start every part; a critical part failing stops what already started and returns the reason. */
  start(): Promise<Result<void>>;
  /** Stop in STOP_ORDER (pump safe first, broker last); idempotent, never throws. */
  stop(reason: string): Promise<void>;
  /**
   * The process lifecycle's first step on a signal or fatal error, before {@link App.stop}: every
   * part with a `safeStop` (the pump) makes its hardware safe, naming the exit. Never throws.
   */
  safeStop(why: string): Promise<void>;
  /** Part statuses by name (status page, tests). */
  snapshot(): Record<string, unknown>;
  /** Part metrics by name. */
  metrics(): Record<string, MetricSnapshot>;
  /** The wired parts, in start order. */
  parts(): readonly AppPart[];
  /** The status page URL once bound, else null. */
  statusUrl(): string | null;
}

/**
 * Longest clean stop of a node with this config: the pump's safe stop (engine stop pulse, never
 * cut short, docs/pump.md Safety 7: `pumpSafeStopMs`, also the pump part's own stop deadline) plus
 * the MQTT close grace plus slack for the other parts. The lifecycle's hard exit deadline is this.
 */
export function stopBudgetMs(config: AppConfig): number {
  const pump = config.roles.includes('pump') ? pumpSafeStopMs(config.pump) : 0;
  return pump + config.mqtt.closeGraceMs + 10_000;
}

/** `start()`'s failure reason when a stop was requested before the start finished (not an error). */
export const STOPPED_WHILE_STARTING = 'stop requested while starting';

/** Build the node's parts from config (nothing starts until {@link App.start}). */
export function createApp(opts: AppOptions): App {
  const { config, logger } = opts;
  const log = logger.child('app');
  const bus = createAppBus(logger.child('bus'));
  const context: PartContext = {
    config,
    nodeId: config.node.id,
    stateDir: config.stateDir,
    logger,
    clock: opts.clock ?? systemClock,
    random: opts.random,
    ids: createIdSource(),
    bus,
    version: readVersion(),
  };
  let parts: AppPart[] = [];
  let statusUrl: () => string | null = () => null;
  const started: AppPart[] = [];
  // Parts whose prepare() ran (GPIO open, outputs off) but that have not started: a stop must still
  // release them.
  const prepared: AppPart[] = [];
  let stopping: Promise<void> | null = null;
  // Set by safeStop (the lifecycle's first step on a signal): a start in progress ends, as for stop.
  let exiting = false;
  const stopPartMs = opts.stopPartMs ?? 5000;

  async function abortStart(part: string, justStarted?: AppPart): Promise<Result<void>> {
    log.warn('stop requested while starting; start abandoned', { at_part: part });
    await stopping;
    // stopAll may have taken its list before these were prepared or started: stop them here
    // (stops are idempotent).
    await stopInOrder(justStarted ? [justStarted, ...prepared] : prepared);
    prepared.length = 0;
    return fail(STOPPED_WHILE_STARTING);
  }

  async function stopAll(reason: string): Promise<void> {
    log.info('stopping', { reason });
    for (const p of started) if (p.stopping) await withDeadline(p.stopping().catch(() => undefined), 1000, () => undefined);
    await stopInOrder([...started, ...prepared]);
    started.length = 0;
    prepared.length = 0;
    log.info('stopped', { reason });
  }

  /** Stop each part once, each within its deadline, in the safety order. */
  async function stopInOrder(parts: AppPart[]): Promise<void> {
    // Safety order (issue 7): pump safe first, then producers, then the link, then the broker.
    const order = [...new Set(parts)].sort((a, b) => stopRank(a.name) - stopRank(b.name));
    for (const p of order) {
      const t0 = Date.now();
      const deadline = p.stopDeadlineMs ?? stopPartMs;
      await withDeadline(
        p.stop({ ms: deadline }).catch((e: unknown) => log.error('part stop failed', { part: p.name, error: String(e) })),
        deadline,
        () => log.error('part stop timed out; moving on', { part: p.name, deadline_ms: deadline }),
      );
      log.debug('part stopped', { part: p.name, ms: Date.now() - t0 });
    }
  }

  return {
    bus,
    context,
    async start() {
      mkdirSync(context.stateDir, { recursive: true });
      const built = await buildParts(context, opts.overrides ?? {});
      if (!built.ok) return built;
      parts = built.value.parts;
      statusUrl = built.value.statusUrl;
      // docs/pump.md Safety 1: outputs off before anything else, even before the broker and the link.
      // Runs even when a stop was already requested: driving outputs off is part of stopping safely.
      for (const p of parts) {
        if (!p.prepare) continue;
        const r = await p.prepare().catch((e: unknown) => fail<void>(`threw: ${String(e)}`));
        if (r.ok) {
          prepared.push(p);
          continue;
        }
        log.fatal('part failed to prepare; stopping the node', { part: p.name, reason: r.reason });
        stopping ??= stopAll(`${p.name} failed to prepare`);
        await stopping;
        return fail(`${p.name}: ${r.reason}`);
      }
      for (const p of parts) {
        // A stop requested while starting (SIGTERM during boot) ends the start here: nothing that
        // could act (the pump resuming a run) may start after the node was told to stop.
        if (stopping || exiting) return abortStart(p.name);
        const r = await p.start().catch((e: unknown) => fail<void>(`threw: ${String(e)}`));
        if (stopping || exiting) return abortStart(p.name, r.ok ? p : undefined);
        if (!r.ok) {
          if (p.critical) {
            log.fatal('part failed to start; stopping the node', { part: p.name, reason: r.reason });
            stopping ??= stopAll(`${p.name} failed to start`);
            await stopping;
            return fail(`${p.name}: ${r.reason}`);
          }
          // Optional parts (status page...) are reported in health and never stop a node (docs/design.md).
          log.error('part failed to start; continuing without it', { part: p.name, reason: r.reason });
          continue;
        }
        started.push(p);
        log.debug('part started', { part: p.name });
      }
      for (const p of started) if (p.ready) await p.ready().catch((e: unknown) => log.warn('ready hook failed', { part: p.name, error: String(e) }));
      log.info('node running', {
        node: context.nodeId,
        roles: config.roles,
        parts: started.map((p) => p.name),
        broker: config.mqtt.url ? 'external' : 'embedded',
        status_page: statusUrl(),
      });
      return ok(undefined);
    },
    stop(reason) {
      stopping ??= stopAll(reason);
      return stopping;
    },
    async safeStop(why) {
      exiting = true;
      for (const p of [...parts].sort((a, b) => stopRank(a.name) - stopRank(b.name))) {
        if (!p.safeStop) continue;
        const deadline = p.stopDeadlineMs ?? stopPartMs;
        await withDeadline(
          p.safeStop(why).catch((e: unknown) => log.error('part safe stop failed', { part: p.name, error: String(e) })),
          deadline,
          () => log.error('part safe stop timed out; stopping the rest', { part: p.name, deadline_ms: deadline }),
        );
      }
    },
    snapshot() {
      const out: Record<string, unknown> = {};
      for (const p of parts) out[p.name] = p.status();
      return out;
    },
    metrics() {
      const out: Record<string, MetricSnapshot> = {};
      for (const p of parts) if (p.metrics) out[p.name] = p.metrics();
      return out;
    },
    parts: () => parts,
    statusUrl: () => statusUrl(),
  };
}
