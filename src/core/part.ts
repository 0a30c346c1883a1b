import type { AppBus } from '../bus/index.js';
import type { AppConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { MqttLink } from '../mqtt/link.js';
import type { Clock } from './clock.js';
import type { IdSource } from './ids.js';
import type { MetricSnapshot } from './metrics.js';
import type { Random } from './random.js';
import type { Result } from './result.js';

/**
 * The one part contract (issue 15 item 1). Every part of a node (broker + MQTT core, pump,
 * consensus, camera, discovery, notify, telemetry, status page, Home Assistant discovery) is made by
 * `create<Part>Part(ctx, ...)` in its own folder and has this shape, so src/app wires a list and
 * needs no adapter per part. Type-only: the imports above are erased, core stays free of the parts.
 */
export interface Part<S = unknown> {
  /** Stable name: `mqtt`, `pump`, `consensus`, `camera`, `discovery`, `notify`, `telemetry`, `http`, `homeassistant`. */
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
  /** Start; errors as values, never throws (a throw is caught and reported as a failure anyway). */
  start(): Promise<Result<void>>;
  /**
   * Stop; never throws, idempotent. `deadline` is when the app moves on without it (its
   * `stopDeadlineMs`, else the app's per-part deadline); parts that bound their own stop (the MQTT
   * core's close grace, the pump's stop pulse) need not read it.
   */
  stop(deadline: StopDeadline): Promise<void>;
  /** The part's status, typed by the part (status page, health, tests). */
  status(): S;
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

/** When the app stops waiting for a part's stop. */
export interface StopDeadline {
  /** Milliseconds the part was given. */
  ms: number;
}

/**
 * What every part builder receives. Built once per process by createApp (src/app/app.ts); `link`
 * is filled after the MQTT core is built (parts built later receive it).
 */
export interface PartContext {
  config: AppConfig;
  nodeId: string;
  stateDir: string;
  logger: Logger;
  clock: Clock;
  random?: Random;
  /** The process's one message-id source (issue 15 item 5): the MQTT core and every part draw from it. */
  ids: IdSource;
  bus: AppBus;
  link?: MqttLink;
  /** Version string reported in health. */
  version: string;
}
