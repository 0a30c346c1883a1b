/**
 * Hardware-in-loop harness: the real pump controller (machine, pin layer, state file, adapter)
 * against the mock GPIO driver on a VirtualClock. Scripts of triggers, sensor changes, commands and
 * time steps; prints the logical pin timeline. The HIL tests (test/hil) use the same rig.
 *
 *   node --import tsx hw/hil.ts [--scenario default|graceful|float|dry-run] [--list]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAppBus, type AppBus } from '../src/bus/index.js';
import { VirtualClock } from '../src/core/virtual-clock.js';
import { silentLogger, type Logger } from '../src/log/logger.js';
import type { MqttLink } from '../src/mqtt/link.js';
import { createPumpController, MockGpioDriver, pumpConfigSchema, type CommandAction, type PumpConfig, type PumpController } from '../src/pump/index.js';
import { INPUT_ROLES, OUTPUT_ROLES, type InputRole } from '../src/pump/config.js';
import type { PumpEvent, PumpOutput, PumpStatePayload, TriggerMessage } from '../src/topics/payloads.js';

/** Options of {@link HilRig.create}. */
export interface RigOptions {
  /** Raw `pump.*` section; `driver: 'mock'` is forced. */
  pump?: Record<string, unknown>;
  link?: MqttLink;
  stateDir?: string;
  bootId?: string;
  uptimeS?: () => number;
  clock?: VirtualClock;
  clockSynced?: () => boolean;
  logger?: Logger;
  nodeId?: string;
  /** Do not call start() (restart tests inspect the boot). */
  noStart?: boolean;
  /** Refusal log/event rate-limit interval (ms). */
  refusalSummaryMs?: number;
  /** Logical input levels already present when the process starts (e.g. a button held at boot). */
  inputs?: Partial<Record<InputRole, boolean>>;
}

/** A logical output edge. */
export interface Edge {
  t: number;
  role: PumpOutput | 'heartbeat';
  on: boolean;
}

/** The rig. Times in its API are seconds since the rig's clock zero. */
export class HilRig {
  readonly events: PumpEvent[] = [];
  readonly states: PumpStatePayload[] = [];
  private seq = 0;

  private constructor(
    readonly clock: VirtualClock,
    readonly driver: MockGpioDriver,
    readonly bus: AppBus,
    readonly controller: PumpController,
    readonly config: PumpConfig,
    readonly stateDir: string,
  ) {
    bus.on('pump.event', 'hil', (e) => this.events.push(e));
    bus.on('pump.state', 'hil', (s) => this.states.push(s));
  }

  /** Build (and by default start) a rig. Throws on an invalid config: rigs are test fixtures. */
  static async create(o: RigOptions = {}): Promise<HilRig> {
    const clock = o.clock ?? new VirtualClock(1_764_200_000_000, 0);
    const config = pumpConfigSchema.parse({ ...o.pump, driver: 'mock' });
    const driver = new MockGpioDriver({ clock });
    for (const [role, on] of Object.entries(o.inputs ?? {}) as Array<[InputRole, boolean]>) {
      const spec = config.pins[role];
      if (spec) driver.setInput(spec.pin, on !== spec.activeLow ? 1 : 0);
    }
    const bus = createAppBus();
    const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'wfe-hil-'));
    const r = await createPumpController({
      config,
      nodeId: o.nodeId ?? 'hil',
      stateDir,
      logger: o.logger ?? silentLogger(),
      clock,
      bus,
      link: o.link,
      driver,
      bootId: o.bootId ?? 'hil-boot',
      uptimeS: o.uptimeS ?? (() => clock.now() / 1000),
      clockSynced: o.clockSynced,
      refusalSummaryMs: o.refusalSummaryMs,
    });
    if (!r.ok) throw new Error(r.reason);
    const rig = new HilRig(clock, driver, bus, r.value, config, stateDir);
    if (!o.noStart) r.value.start();
    return rig;
  }

  /** Seconds on the virtual clock. */
  t(): number {
    return this.clock.now() / 1000;
  }
  /** Advance virtual time by `s` seconds (timers fire in order). */
  advance(s: number): void {
    this.clock.advance(Math.round(s * 1000));
  }
  /** Advance to absolute second `s`. */
  advanceTo(s: number): void {
    this.clock.advanceTo(Math.round(s * 1000));
  }
  /** A local trigger through the bus, as consensus sends it. Returns its id. */
  trigger(fields: Partial<TriggerMessage> = {}): string {
    const id = fields.id ?? `hil-${++this.seq}`;
    this.bus.emit('trigger', { action: 'trigger', ...fields, id });
    return id;
  }
  /** An operator command (local path). */
  command(action: CommandAction): ReturnType<PumpController['command']> {
    return this.controller.command(action, 'hil');
  }
  /** Set a logical input level; sampled by the controller on its next poll. */
  setInput(role: InputRole, on: boolean): void {
    const spec = this.config.pins[role];
    if (!spec) throw new Error(`input ${role} has no pin in this rig's config`);
    this.driver.setInput(spec.pin, on !== spec.activeLow ? 1 : 0);
  }
  /** Logical level of an output now. */
  on(role: PumpOutput | 'heartbeat'): boolean {
    const spec = role === 'heartbeat' ? this.config.pins.heartbeat : this.config.pins[role];
    if (!spec) return false;
    return (this.driver.level(spec.pin) === 1) !== spec.activeLow;
  }
  /** All seven logical outputs now. */
  outputs(): Record<PumpOutput, boolean> {
    return Object.fromEntries(OUTPUT_ROLES.map((r) => [r, this.on(r)])) as Record<PumpOutput, boolean>;
  }
  /** Current state name. */
  state(): string {
    return this.controller.snapshot().state.state;
  }
  /** Logical output edges recorded by the mock (the boot's initial off writes excluded). */
  edges(roles?: Array<PumpOutput | 'heartbeat'>): Edge[] {
    const byPin = new Map<number, { role: PumpOutput | 'heartbeat'; activeLow: boolean }>();
    for (const r of OUTPUT_ROLES) byPin.set(this.config.pins[r].pin, { role: r, activeLow: this.config.pins[r].activeLow });
    if (this.config.pins.heartbeat) byPin.set(this.config.pins.heartbeat.pin, { role: 'heartbeat', activeLow: this.config.pins.heartbeat.activeLow });
    const last = new Map<number, boolean>();
    const out: Edge[] = [];
    for (const c of this.driver.timeline) {
      const m = byPin.get(c.pin);
      if (!m || c.kind !== 'output') continue;
      const on = (c.level === 1) !== m.activeLow;
      const prev = last.get(c.pin) ?? false;
      last.set(c.pin, on);
      if (on === prev) continue;
      if (!roles || roles.includes(m.role)) out.push({ t: c.t / 1000, role: m.role, on });
    }
    return out;
  }
  /** Events with a given name. */
  eventsNamed(name: string): PumpEvent[] {
    return this.events.filter((e) => e.event === name);
  }
  /** Transition targets in order. */
  transitions(): string[] {
    return this.eventsNamed('transition').map((e) => `${e.from}>${e.to}:${e.reason}`);
  }
  /** Safe stop, advancing virtual time through the stop pulse. */
  async stop(): Promise<void> {
    const p = this.controller.stop();
    this.advance(this.config.timings.ignitionOffDuration);
    await p;
  }
  /** Human-readable timeline. */
  formatTimeline(): string {
    return this.edges(OUTPUT_ROLES as unknown as PumpOutput[])
      .map((e) => `${e.t.toFixed(3).padStart(10)} s  ${e.role.padEnd(13)} ${e.on ? 'ON' : 'off'}`)
      .join('\n');
  }
}

/** A scripted step: at second `at`, do something. */
export type Step =
  | { at: number; trigger: Partial<TriggerMessage> }
  | { at: number; input: InputRole; on: boolean }
  | { at: number; command: CommandAction };

/** A scenario: pump config + steps + how long to run. */
export interface Scenario {
  doc: string;
  pump?: Record<string, unknown>;
  steps: Step[];
  until: number;
}

/** Built-in scenarios for the CLI. */
export const SCENARIOS: Record<string, Scenario> = {
  default: { doc: 'one trigger, default timings (limit stop at I+1800 s, lockout capped at 7200 s)', steps: [{ at: 0, trigger: {} }], until: 9100 },
  graceful: {
    doc: 'one trigger, fireOffDelay 60 s: graceful stop, refill, cooldown',
    pump: { timings: { fireOffDelay: 60, primingDuration: 20, valveCloseDelay: 30, refillMultiplier: 2, cooldownDuration: 10 } },
    steps: [{ at: 0, trigger: {} }],
    until: 400,
  },
  float: {
    doc: 'float switch ends the refill early; a second run still stops on time',
    pump: { pins: { reservoirFloat: 5 }, timings: { fireOffDelay: 30, primingDuration: 5, refillMultiplier: 10, cooldownDuration: 5, valveCloseDelay: 20 } },
    steps: [{ at: 0, trigger: {} }, { at: 80, input: 'reservoirFloat', on: true }, { at: 120, input: 'reservoirFloat', on: false }, { at: 150, trigger: {} }],
    until: 260,
  },
  'dry-run': {
    doc: 'flow sensor never sees water: stop and latch ERROR after priming + maxDryRunTime',
    pump: { pins: { flowSensor: 6 }, timings: { primingDuration: 10, maxDryRunTime: 30, startConfirmSeconds: 120 } },
    steps: [{ at: 0, trigger: {} }],
    until: 120,
  },
};

/** Run a scenario on a fresh rig; returns the rig for inspection. */
export async function runScenario(sc: Scenario, o: RigOptions = {}): Promise<HilRig> {
  const rig = await HilRig.create({ ...o, pump: sc.pump });
  for (const st of [...sc.steps].sort((a, b) => a.at - b.at)) {
    rig.advanceTo(st.at);
    if ('trigger' in st) rig.trigger(st.trigger);
    else if ('input' in st) rig.setInput(st.input, st.on);
    else rig.command(st.command);
  }
  rig.advanceTo(sc.until);
  return rig;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--list')) {
    for (const [k, v] of Object.entries(SCENARIOS)) console.log(`${k.padEnd(10)} ${v.doc}`);
    return;
  }
  const i = argv.indexOf('--scenario');
  const name = i >= 0 ? argv[i + 1] : 'default';
  const sc = SCENARIOS[name];
  if (!sc) {
    console.error(`unknown scenario "${name}"; --list shows them`);
    process.exitCode = 2;
    return;
  }
  const rig = await runScenario(sc);
  console.log(`scenario ${name}: ${sc.doc}\n`);
  console.log(rig.formatTimeline());
  console.log(`\ntransitions:\n  ${rig.transitions().join('\n  ')}`);
  console.log(`\nfinal state ${rig.state()} at ${rig.t()} s; inputs ${INPUT_ROLES.filter((r) => rig.config.pins[r]).join(', ') || 'none'}`);
  await rig.stop();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
