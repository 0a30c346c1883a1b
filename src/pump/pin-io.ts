import type { Result } from '../core/result.js';
import type { PumpOutput } from '../topics/payloads.js';
import { INPUT_ROLES, OUTPUT_ROLES, type InputRole, type PinSpec, type PumpPins } from './config.js';
import type { GpioDriver, GpioOpenSpec, Level } from './gpio-driver.js';
import type { Inputs, Outputs } from './machine-types.js';

/**
 * Logical ↔ electrical mapping between the machine and a driver. Everything above this file speaks
 * logical on/off (docs/pump.md); `activeLow` is applied here and only here.
 */

// Write order inside one update: everything that turns OFF first (engine before valves), then
// everything that turns ON (valves before engine), so ignition/crank are never on without the main
// valve even for the microseconds between two writes (Safety 2).
const OFF_ORDER: PumpOutput[] = ['ignitionStart', 'ignitionOn', 'rpmReduce', 'primingValve', 'refillValve', 'mainValve', 'ignitionOff'];
const ON_ORDER: PumpOutput[] = ['mainValve', 'refillValve', 'primingValve', 'ignitionOff', 'ignitionOn', 'ignitionStart', 'rpmReduce'];

const level = (spec: PinSpec, on: boolean): Level => ((on !== spec.activeLow) ? 1 : 0);

/** The pin layer. */
export class PinIo {
  constructor(
    private readonly driver: GpioDriver,
    private readonly pins: PumpPins,
  ) {}

  /** Open spec: every output (and the heartbeat) logically off; each input pulled to its unsafe value. */
  openSpec(): GpioOpenSpec {
    const outputs = OUTPUT_ROLES.map((r) => ({ pin: this.pins[r].pin, initial: level(this.pins[r], false) }));
    if (this.pins.heartbeat) outputs.push({ pin: this.pins.heartbeat.pin, initial: level(this.pins.heartbeat, false) });
    const inputs: GpioOpenSpec['inputs'] = [];
    for (const r of INPUT_ROLES) {
      const spec = this.pins[r];
      // A floating (broken) wire reads the pull; logical false (no flow, low pressure, not full,
      // not running, not pressed) must be the result, i.e. the electrical level of "off".
      if (spec) inputs.push({ pin: spec.pin, pull: spec.activeLow ? 'up' : 'down' });
    }
    return { outputs, inputs };
  }

  /** Write the outputs that differ between `prev` and `next`, in the safe order. Returns failures. */
  apply(prev: Outputs, next: Outputs): Array<{ output: PumpOutput; reason: string }> {
    const faults: Array<{ output: PumpOutput; reason: string }> = [];
    const write = (o: PumpOutput, on: boolean) => {
      const r: Result<void> = this.driver.write(this.pins[o].pin, level(this.pins[o], on));
      if (!r.ok) faults.push({ output: o, reason: r.reason });
    };
    for (const o of OFF_ORDER) if (prev[o] && !next[o]) write(o, false);
    for (const o of ON_ORDER) if (!prev[o] && next[o]) write(o, true);
    return faults;
  }

  /**
   * Drive every output off regardless of what we believe (boot, exit, ERROR); `keep` names outputs
   * left as they are (the exit stop pulse keeps the main valve open).
   */
  forceAllOff(keep: readonly PumpOutput[] = []): Array<{ output: PumpOutput; reason: string }> {
    const faults: Array<{ output: PumpOutput; reason: string }> = [];
    for (const o of OFF_ORDER) {
      if (keep.includes(o)) continue;
      const r = this.driver.write(this.pins[o].pin, level(this.pins[o], false));
      if (!r.ok) faults.push({ output: o, reason: r.reason });
    }
    this.heartbeat(false);
    return faults;
  }

  /** Drive one output (the exit path's ignition-off pulse). */
  set(o: PumpOutput, on: boolean): Result<void> {
    return this.driver.write(this.pins[o].pin, level(this.pins[o], on));
  }

  /** Heartbeat output level, when configured. */
  heartbeat(on: boolean): void {
    if (this.pins.heartbeat) this.driver.write(this.pins.heartbeat.pin, level(this.pins.heartbeat, on));
  }

  /** Whether a heartbeat pin is configured. */
  hasHeartbeat(): boolean {
    return this.pins.heartbeat !== null;
  }

  /** Logical inputs (null when not configured). */
  readInputs(): Inputs {
    const out = {} as Inputs;
    for (const r of INPUT_ROLES) {
      const spec = this.pins[r];
      out[r] = spec ? (this.driver.read(spec.pin) === 1) !== spec.activeLow : null;
    }
    return out;
  }

  /** Whether any input pin is configured (otherwise no polling). */
  hasInputs(): boolean {
    return INPUT_ROLES.some((r: InputRole) => this.pins[r] !== null);
  }

  /**
   * Role → pin and electrical level for the status page: outputs from what we last wrote (a
   * driver cannot always read back an output), inputs from the driver.
   */
  levels(out: Outputs, heartbeatOn: boolean): Record<string, { pin: number; level: Level }> {
    const m: Record<string, { pin: number; level: Level }> = {};
    for (const r of OUTPUT_ROLES) m[r] = { pin: this.pins[r].pin, level: level(this.pins[r], out[r]) };
    if (this.pins.heartbeat) m.heartbeat = { pin: this.pins.heartbeat.pin, level: level(this.pins.heartbeat, heartbeatOn) };
    for (const r of INPUT_ROLES) {
      const spec = this.pins[r];
      if (spec) m[r] = { pin: spec.pin, level: this.driver.read(spec.pin) };
    }
    return m;
  }
}
