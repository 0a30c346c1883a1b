import type { Clock } from '../core/clock.js';
import type { MessageEnvelope } from '../core/ids.js';
import { PUMP_INPUTS, type PumpStatePayload } from '../topics/payloads.js';
import type { GpioDriver } from './gpio-driver.js';
import type { PumpMachine } from './machine.js';
import type { Outputs } from './machine-types.js';

/**
 * The retained `pump/<node>/state` payload (docs/topics.md), built here next to the pump's status
 * (status.ts) and its link adapter (mqtt-adapter.ts) rather than inside the controller. Pure: it
 * reads the machine, the outputs driven now and the clock, and builds no I/O.
 */

/** The state the exit path publishes (the halted machine still names the state it was in). */
export interface ExitView {
  state: 'STOPPING' | 'STOPPED_FOR_EXIT';
}

/** What {@link buildStatePayload} reads. */
export interface StatePayloadInput {
  envelope: MessageEnvelope;
  machine: PumpMachine;
  outputs: Outputs;
  exitView: ExitView | undefined;
  clock: Clock;
  driverKind: GpioDriver['kind'];
}

/** The state payload of the pump as it is now. */
export function buildStatePayload(i: StatePayloadInput): PumpStatePayload {
  // On the exit path the machine is halted and still names its old state: the exit view wins.
  const exit = i.exitView;
  const m = i.machine;
  const s = m.state();
  const inputs = m.currentInputs();
  const info = m.runInfo();
  const clock = i.clock;
  return {
    ...i.envelope,
    state: exit?.state ?? s.name,
    armed: m.isArmed(),
    outputs: { ...i.outputs },
    inputs: Object.fromEntries(PUMP_INPUTS.map((k) => [k, inputs[k]])) as PumpStatePayload['inputs'],
    run: info && !exit
      ? {
          ignitionOnAt: info.ignitionOnAt === null ? null : (clock.wallNow() - (clock.now() - info.ignitionOnAt)) / 1000,
          runtimeS: info.runtimeMs / 1000,
          remainingS: info.remainingMs / 1000,
          attempt: info.attempt,
        }
      : null,
    lockoutRemainingS: m.lockoutRemainingS(),
    holdRemainingS: m.holdRemainingS(),
    lastTriggerId: m.lastTrigger(),
    error: s.name === 'ERROR' ? s.reason : null,
    stateLost: m.isStateLost(),
    driver: i.driverKind,
  };
}
