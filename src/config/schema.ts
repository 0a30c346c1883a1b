import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LOG_FORMATS } from '../log/format.js';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { sanitizeNodeId } from '../topics/topics.js';
import { mqttConfigSchema } from '../mqtt/config.js';
import { camerasConfigSchema } from '../capture/config.js';
import { detectConfigSchema } from '../detect/config.js';
import { consensusConfigSchema } from '../consensus/config.js';
import { pumpConfigSchema } from '../pump/config.js';
import { telemetryConfigSchema } from '../telemetry/config.js';
import { httpConfigSchema } from '../http/config.js';
import { notifyConfigSchema } from '../notify/config.js';
import { discoveryConfigSchema } from '../discovery/config.js';

/** The config file format version this build writes and understands (older ones are migrated). */
export const CONFIG_VERSION = 1;

/** What a process does (docs/design.md "Roles and scale"). */
export const ROLES = ['camera', 'consensus', 'pump'] as const;
/** One role. */
export type Role = (typeof ROLES)[number];

const levelSchema = z.enum(LOG_LEVELS as unknown as [LogLevel, ...LogLevel[]]);

/** Where defaults that depend on the machine come from; injected so tests never read the host. */
export interface ConfigEnvironment {
  /** Host name, the source of the default `node.id`. */
  hostname: string;
  /** `$STATE_DIRECTORY` (systemd `StateDirectory=`), the preferred default `stateDir`. */
  stateDirectory?: string;
  /** Directory relative paths (the `./var/<node.id>` default) are resolved against. */
  cwd: string;
}

/** The real machine's environment. */
export function systemConfigEnvironment(env: NodeJS.ProcessEnv = process.env): ConfigEnvironment {
  return { hostname: hostname(), stateDirectory: env.STATE_DIRECTORY || undefined, cwd: process.cwd() };
}

/**
 * The composed config schema: one section per part, each section's schema owned by its part
 * (`src/<part>/config.ts`). Top-level keys are strict so a misspelt section (`pumps:`) is an error,
 * not a silently ignored block. Cross-part rules live in {@link buildConfigSchema}'s refinement.
 */
export function buildBaseSchema(envi: ConfigEnvironment) {
  return z.strictObject({
    version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION).describe('Config format version; older files are migrated (with a backup).'),
    node: z
      .strictObject({
        id: z
          .string()
          .regex(/^[a-z0-9_-]+$/, 'node ids match [a-z0-9_-]+ (docs/topics.md)')
          .default(sanitizeNodeId(envi.hostname))
          .describe('Node id used in topics; default: the hostname, lower-cased, other characters replaced by "-".'),
      })
      .prefault({}),
    roles: z
      .array(z.enum(ROLES))
      .min(1, 'at least one role')
      .refine((r) => new Set(r).size === r.length, 'roles must not repeat')
      .default([...ROLES])
      .describe('What this process does: camera (capture + detect), consensus, pump; default all three.'),
    stateDir: z
      .string()
      .min(1)
      .optional()
      .describe('Outbox, pump state and other durable files; default $STATE_DIRECTORY (systemd) or ./var/<node.id>.'),
    log: z
      .strictObject({
        level: levelSchema.default('info').describe('Default log level (quiet at info).'),
        levels: z.record(z.string(), levelSchema).default({}).describe('Per-namespace levels, e.g. {mqtt: debug}.'),
        format: z
          .enum(LOG_FORMATS)
          .default('auto')
          .describe('auto: human lines on a terminal, JSON with a journald priority prefix under systemd, JSON otherwise; json; pretty. `run --log-format` overrides.'),
        refusalSummarySeconds: z
          .number()
          .min(1)
          .max(86_400)
          .default(60)
          .describe('Refused triggers/commands and rejected inbound messages: one log line per reason per this interval, then a summary with the count (pump: individual events for the first 10, then one summary event).'),
      })
      .prefault({}),
    mqtt: mqttConfigSchema,
    cameras: camerasConfigSchema,
    detect: detectConfigSchema,
    consensus: consensusConfigSchema,
    pump: pumpConfigSchema,
    telemetry: telemetryConfigSchema,
    http: httpConfigSchema,
    notify: notifyConfigSchema,
    discovery: discoveryConfigSchema,
    homeassistant: z
      .strictObject({
        discovery: z.boolean().default(false).describe('Publish Home Assistant MQTT discovery (retained).'),
        buttons: z
          .boolean()
          .default(true)
          .describe('With discovery on a pump node: stop, disarm, arm and reset buttons (fire/emergency commands aimed at this node; never a start). HA\'s broker user needs write on fire/emergency.'),
      })
      .prefault({}),
  });
}

/** {@link buildBaseSchema} plus the cross-part rules and the derived `stateDir` default. */
export function buildConfigSchema(envi: ConfigEnvironment) {
  return buildBaseSchema(envi)
    .superRefine((cfg, ctx) => {
      for (const i of crossPartIssues(cfg)) ctx.addIssue({ code: 'custom', path: i.path, message: i.message, input: i.input });
      // Issue 17: the broker must keep a node's session at least as long as what it queues for
      // the node stays valid, or a trigger sent while the link was down is lost with the session.
      const session = cfg.mqtt.session;
      const needed = Math.max(cfg.consensus.triggerTtlSeconds, cfg.pump.timings.commandExpirySeconds);
      if (cfg.mqtt.url && session.persistent && session.expirySeconds < needed) {
        ctx.addIssue({
          code: 'custom',
          path: ['mqtt', 'session', 'expirySeconds'],
          input: session.expirySeconds,
          message: `must be at least ${needed} (consensus.triggerTtlSeconds ${cfg.consensus.triggerTtlSeconds}, pump.timings.commandExpirySeconds ${cfg.pump.timings.commandExpirySeconds}): the broker would drop a trigger or command queued for this node with its session before it expires`,
        });
      }
    })
    .transform((cfg) => ({
      ...cfg,
      // The default state dir depends on node.id, so it is filled after parsing.
      stateDir: cfg.stateDir ?? envi.stateDirectory ?? join(envi.cwd, 'var', cfg.node.id),
    }));
}

/** One cross-part problem (path, message, offending value). */
export interface CrossPartIssue {
  path: string[];
  message: string;
  input: unknown;
}

/**
 * Rules that span sections (docs/design.md "Configuration"). Run by the schema on a valid config, and by
 * the loader on the raw input when other keys are invalid, so every problem is reported at once.
 */
export function crossPartIssues(cfg: { roles: readonly string[]; pump: { driver?: unknown; pins?: { confirmed?: unknown } }; cameras: ReadonlyArray<{ id?: unknown }> }): CrossPartIssue[] {
  const out: CrossPartIssue[] = [];
  // Nothing drives real relays by accident: the pump role needs an explicit driver.
  if (cfg.roles.includes('pump') && !cfg.pump.driver) {
    out.push({ path: ['pump', 'driver'], message: 'required with the pump role: choose rpio, gpiochip, mock or auto (or remove "pump" from roles)', input: undefined });
  }
  // A driver that switches real relays needs the owner's word that the pins and their polarity are
  // this installation's (issue 12): the default pins on an active-low relay board energise seven
  // relays at boot. install.sh never writes this key; only mock needs no confirmation.
  const driver = cfg.pump.driver;
  if (cfg.roles.includes('pump') && (driver === 'rpio' || driver === 'gpiochip' || driver === 'auto') && cfg.pump.pins?.confirmed !== true) {
    out.push({
      path: ['pump', 'pins', 'confirmed'],
      message: `pump.driver ${driver} drives real relay pins: check every pump.pins output (BCM number; activeLow: true for an active-low relay board, see hw/README.md) against your wiring, then set pump.pins.confirmed: true`,
      input: cfg.pump.pins?.confirmed,
    });
  }
  if (cfg.roles.includes('camera') && cfg.cameras.length === 0) {
    out.push({ path: ['cameras'], message: 'the camera role needs at least one camera ({id, url}) (or remove "camera" from roles)', input: cfg.cameras });
  }
  const ids = cfg.cameras.map((c) => c.id);
  const dup = ids.find((id, i) => id !== undefined && ids.indexOf(id) !== i);
  if (dup !== undefined) out.push({ path: ['cameras'], message: `camera ids must be unique ("${String(dup)}" repeats)`, input: dup });
  return out;
}

/** The validated, defaulted configuration every part receives a section of. */
export type AppConfig = z.output<ReturnType<typeof buildConfigSchema>>;
