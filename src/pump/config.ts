import { z } from 'zod';

/**
 * `pump.*` config section (docs/pump.md "Timings and limits", normative). Owned by src/pump.
 *
 * Nothing is silently clamped (the reference clamped `MAX_ENGINE_RUNTIME=2` to 60 and its own
 * fixtures never noticed): a value outside its range, a duplicate or invalid pin, or a timing
 * relation that cannot work is refused with a message naming the key(s), the value and what is
 * allowed. `driver` is optional here; the composed config refuses the pump role without one.
 */

/** Logical output roles (docs/pump.md "Outputs"), plus the optional dead-man heartbeat. */
export const OUTPUT_ROLES = ['mainValve', 'ignitionStart', 'ignitionOn', 'ignitionOff', 'refillValve', 'primingValve', 'rpmReduce'] as const;
/** Optional input roles; `mainValveFeedback` is the relay-feedback contact of the main valve. */
export const INPUT_ROLES = ['reservoirFloat', 'linePressure', 'flowSensor', 'emergencyButton', 'engineRunning', 'mainValveFeedback'] as const;
export type InputRole = (typeof INPUT_ROLES)[number];

/** Default BCM pins of the reference system. */
export const DEFAULT_PINS: Record<(typeof OUTPUT_ROLES)[number], number> = {
  mainValve: 18,
  ignitionStart: 23,
  ignitionOn: 24,
  ignitionOff: 25,
  refillValve: 22,
  primingValve: 26,
  rpmReduce: 27,
};

/** A normalised pin: BCM number and polarity. */
export interface PinSpec {
  pin: number;
  activeLow: boolean;
}

const pinObject = z.object({ pin: z.number().int(), activeLow: z.boolean().default(false) }).strict();
/** Output pin: a bare BCM number (as in docs/design.md's example) or `{pin, activeLow}`. */
const outputPin = (def: number) =>
  z
    .union([z.number().int(), pinObject])
    .default(def)
    .transform((v): PinSpec => (typeof v === 'number' ? { pin: v, activeLow: false } : { pin: v.pin, activeLow: v.activeLow }));
/** Optional pin (inputs, heartbeat): absent or null means disabled. */
const optionalPin = z
  .union([z.number().int(), pinObject, z.null()])
  .default(null)
  .transform((v): PinSpec | null => (v === null ? null : typeof v === 'number' ? { pin: v, activeLow: false } : { pin: v.pin, activeLow: v.activeLow }));

const pinsSchema = z
  .strictObject({
    ...(Object.fromEntries(OUTPUT_ROLES.map((r) => [r, outputPin(DEFAULT_PINS[r])])) as Record<(typeof OUTPUT_ROLES)[number], ReturnType<typeof outputPin>>),
    ...(Object.fromEntries(INPUT_ROLES.map((r) => [r, optionalPin])) as Record<InputRole, typeof optionalPin>),
    heartbeat: optionalPin,
    confirmed: z
      .boolean()
      .default(false)
      .describe('Set true only after checking every output pin (BCM number) and its activeLow polarity against your wiring (hw/README.md). Required with the rpio, gpiochip and auto drivers; install.sh never writes it.'),
  })
  .strict()
  .prefault({});

/** `[default, min, max, meaning]` for every timing; the table of docs/pump.md. Seconds unless noted. */
export const TIMING_TABLE = {
  preOpenDelay: [2, 0, 60, 'valves open → ignition on'],
  ignitionOnLeadTime: [0.5, 0, 10, 'ignition on → crank'],
  ignitionStartDuration: [5, 0.1, 30, 'crank pulse'],
  primingDuration: [180, 0, 900, 'priming valve open after the engine runs'],
  fireOffDelay: [1800, 1, 86400, 'silence (no trigger) before a graceful stop'],
  rpmReductionDuration: [5, 0.1, 60, 'RPM reduced before a graceful stop'],
  rpmReductionLead: [15, 0, 600, 'RPM reduced this long before the hard limit'],
  maxEngineRuntime: [1800, 1, 14400, 'hard limit for ignition on, from its rising edge'],
  ignitionOffDuration: [5, 0.1, 30, 'stop pulse'],
  valveCloseDelay: [600, 0, 3600, 'main valve stays open after the engine stops'],
  refillMultiplier: [40, 0, 100, 'refill lockout = engine runtime × this'],
  maxRefillLockout: [7200, 0, 86400, 'cap on the refill lockout'],
  cooldownDuration: [60, 0, 3600, 'COOLDOWN → IDLE'],
  maxDryRunTime: [300, 1, 3600, 'no flow this long while running after priming → stop, ERROR'],
  lowPressureGrace: [10, 0, 600, 'low pressure this long while running after priming → stop, ERROR'],
  startConfirmSeconds: [30, 1, 300, 'time to see the engine run (needs an engineRunning/flow/pressure input)'],
  maxStartAttempts: [3, 1, 5, 'crank attempts before ERROR (count; needs such an input)'],
  commandExpirySeconds: [60, 1, 3600, 'older commands are refused'],
  operatorHoldSeconds: [1800, 0, 86400, 'after an operator stop, automatic triggers are ignored this long'],
  manualValveSeconds: [600, 1, 7200, 'a manual valve_open closes itself after this'],
} as const satisfies Record<string, readonly [number, number, number, string]>;
export type TimingKey = keyof typeof TIMING_TABLE;

const timingField = (key: TimingKey) => {
  const [def, min, max, doc] = TIMING_TABLE[key];
  const base = key === 'maxStartAttempts' ? z.number().int() : z.number();
  // Range errors say key, value and range through zod's own path + our message. min()/max() (not a
  // refine) so the range also reaches the JSON schema, hence the README's config reference.
  const outside = { error: `must be within ${min}–${max} (${doc})` };
  return base.min(min, outside).max(max, outside).default(def).describe(doc);
};

const timingsSchema = z
  .strictObject(Object.fromEntries((Object.keys(TIMING_TABLE) as TimingKey[]).map((k) => [k, timingField(k)])) as Record<TimingKey, ReturnType<typeof timingField>>)
  .strict()
  .prefault({});

/** Timings in seconds, all keys present after parsing. */
export type PumpTimings = Record<TimingKey, number>;

/** `pump.*` schema. */
export const pumpConfigSchema = z
  .strictObject({
    driver: z.enum(['rpio', 'gpiochip', 'mock', 'auto']).optional().describe('GPIO driver; required with the pump role'),
    pins: pinsSchema,
    timings: timingsSchema,
    crankSequence: z.enum(['ignition-first', 'crank-first']).default('ignition-first'),
    zones: z.array(z.string().min(1)).default([]).describe('when set, a trigger whose zones do not intersect is ignored'),
    stateFile: z.string().min(1).optional().describe('persisted state; default <stateDir>/pump-state.json'),
    inputPollMs: z.number().int().min(10).max(1000).default(50).describe('input sampling period (ms)'),
    exitMainValve: z
      .enum(['hold', 'close'])
      .default('hold')
      .describe('on process exit with the engine running: hold = main valve stays open during the stop pulse, as in STOPPING (closing it while the engine turns dead-heads the pump); close = closed with the engine'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    // Pins: valid BCM GPIOs 2–27 and unique across every role (docs/pump.md "Outputs").
    const seen = new Map<number, string>();
    const roles = [...OUTPUT_ROLES, ...INPUT_ROLES, 'heartbeat'] as const;
    for (const role of roles) {
      const spec = (cfg.pins as unknown as Record<string, PinSpec | null>)[role];
      if (!spec) continue;
      if (spec.pin < 2 || spec.pin > 27) {
        ctx.addIssue({ code: 'custom', path: ['pins', role], message: `${spec.pin} is not a usable BCM GPIO: allowed 2–27` });
        continue;
      }
      const other = seen.get(spec.pin);
      if (other) {
        ctx.addIssue({ code: 'custom', path: ['pins', role], message: `pin ${spec.pin} is already used by pump.pins.${other}: every pin must be unique` });
      } else seen.set(spec.pin, role);
    }
    // Cross-field timing rules (docs/pump.md); the mock driver gets only the first two so tests can use
    // second-scale timings. An unset driver is judged as a real one: stricter is the safe default.
    const t = cfg.timings as PumpTimings;
    const rule = (cond: boolean, keys: TimingKey[], message: string) => {
      if (!cond) ctx.addIssue({ code: 'custom', path: ['timings', keys[0]], message });
    };
    rule(t.rpmReductionLead < t.maxEngineRuntime, ['rpmReductionLead', 'maxEngineRuntime'], `rpmReductionLead (${t.rpmReductionLead}) must be less than maxEngineRuntime (${t.maxEngineRuntime})`);
    const startup = t.preOpenDelay + t.ignitionOnLeadTime + t.ignitionStartDuration;
    rule(
      startup < t.maxEngineRuntime,
      ['preOpenDelay', 'ignitionOnLeadTime', 'ignitionStartDuration', 'maxEngineRuntime'],
      `preOpenDelay + ignitionOnLeadTime + ignitionStartDuration (${round(startup)}) must be less than maxEngineRuntime (${t.maxEngineRuntime})`,
    );
    if (cfg.driver !== 'mock') {
      rule(t.maxEngineRuntime >= 60, ['maxEngineRuntime'], `maxEngineRuntime ${t.maxEngineRuntime} is below 60, the minimum for real drivers (rpio, gpiochip, auto); only driver: mock allows shorter runs`);
      const pc = t.primingDuration + t.ignitionStartDuration;
      rule(
        pc <= t.maxEngineRuntime / 2,
        ['primingDuration', 'ignitionStartDuration', 'maxEngineRuntime'],
        `primingDuration + ignitionStartDuration (${round(pc)}) must be at most maxEngineRuntime / 2 (${round(t.maxEngineRuntime / 2)}) with a real driver`,
      );
    }
  })
  .prefault({});

/** Parsed `pump.*` config. */
export type PumpConfig = z.infer<typeof pumpConfigSchema>;
/** Normalised pins after parsing. */
export type PumpPins = PumpConfig['pins'];

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Parse a pump section on its own; errors are `key: message` lines, all at once. */
export function parsePumpConfig(raw: unknown): { ok: true; value: PumpConfig } | { ok: false; reason: string } {
  const r = pumpConfigSchema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const lines = r.error.issues.map((i) => {
    const key = ['pump', ...i.path.map(String)].join('.');
    const got = valueAt(raw, i.path as PropertyKey[]);
    return `${key}: ${i.message}${got === undefined || i.code === 'custom' ? '' : ` (got ${JSON.stringify(got)})`}`;
  });
  return { ok: false, reason: lines.join('\n') };
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}
