import type { PumpOutput } from '../topics/payloads.js';
import type { InputRole, PumpTimings } from './config.js';

/**
 * Data types of the pump state machine (docs/pump.md "States"). Every state carries its own deadlines
 * (monotonic ms); the machine arms timers from them on entry and cancels them on exit, so a timer
 * can never outlive the state that armed it (the reference's stale-timer defects R1–R6).
 */

/** Logical output levels, all seven always present. */
export type Outputs = Record<PumpOutput, boolean>;
/** Logical input levels; `null` = not configured. */
export type Inputs = Record<InputRole, boolean | null>;

/** Data of one run: created on PRIMING entry, dropped when the engine has stopped. */
export interface Run {
  /** What started it: an automatic trigger, an operator/button `start`, or a resume after restart. */
  kind: 'trigger' | 'manual' | 'resume';
  /** Crank attempt (1-based). */
  attempt: number;
  /** Monotonic ms of the last accepted trigger (fire-off counts from here). */
  lastTriggerAt: number;
  /** I: rising edge of ignition on in this run (monotonic ms), null before. */
  ignitionOnAt: number | null;
  /** Ignition must be off by this time: I + maxEngineRuntime − runtime used before a restart. */
  limitAt: number | null;
  /** Runtime already used by this run before a process restart (ms), counted against the limit. */
  usedBeforeMs: number;
  /** E: RUNNING first entered. */
  runningSince: number | null;
  /** End of the priming window (E + primingDuration). */
  primingEndsAt: number | null;
  /** The engine was seen running (or there is no sensor to confirm it). */
  confirmed: boolean;
  /** Water sensor has read "no water" continuously since (monitoring after priming). */
  noWaterSince: number | null;
  /** Line pressure has read low continuously since (monitoring after priming). */
  lowPressureSince: number | null;
}

/** Where STOPPING goes when its pulse is over. */
export type StopNext = 'REFILLING' | 'COOLDOWN' | 'ERROR' | 'PRIMING';

/** The state, as a tagged union; `epoch` identifies the instance that owns the timers. */
export type PumpState =
  | { name: 'IDLE'; epoch: number }
  | { name: 'MANUAL_VALVE'; epoch: number; until: number }
  | { name: 'PRIMING'; epoch: number; run: Run; until: number }
  | { name: 'STARTING'; epoch: number; run: Run; phase: 'ignition' | 'crank'; phaseUntil: number }
  | { name: 'RUNNING'; epoch: number; run: Run; priming: boolean }
  | { name: 'REDUCING_RPM'; epoch: number; run: Run; kind: 'graceful' | 'limit'; until: number; priming: boolean }
  | { name: 'STOPPING'; epoch: number; run: Run | null; next: StopNext; reason: string; until: number; runtimeMs: number; engineStoppedAt: number }
  | { name: 'REFILLING'; epoch: number; runtimeMs: number; lockoutUntil: number; valveCloseAt: number; mainValve: boolean }
  | { name: 'COOLDOWN'; epoch: number; until: number; valveCloseAt: number; mainValve: boolean }
  | { name: 'ERROR'; epoch: number; reason: string };

/** Name of a state. */
export type StateName = PumpState['name'];

/** Operator commands after alias resolution (docs/pump.md "Commands"). */
export type CommandAction = 'start' | 'stop' | 'valve_open' | 'valve_close' | 'reset' | 'arm' | 'disarm';

/** Everything the machine reacts to. Timer events are internal (`timer` carries the owner epoch). */
export type MachineInput =
  | { type: 'trigger'; id: string | null; source: string }
  | { type: 'command'; action: CommandAction; source: string; id?: string | null }
  | { type: 'input'; name: InputRole; value: boolean }
  | { type: 'output_fault'; output: PumpOutput; reason: string };

/** Result of `handle`: acks are built from it. */
export interface HandleResult {
  accepted: boolean;
  reason: string | null;
}

/** One event the machine emits: an output, published as `pump/<node>/event` (docs/pump.md). */
export interface MachineEvent {
  event: string;
  from: StateName | null;
  to: StateName | null;
  reason: string | null;
  [extra: string]: unknown;
}

/** Static machine configuration (timings in seconds as in the config; converted inside). */
export interface MachineConfig {
  timings: PumpTimings;
  crankSequence: 'ignition-first' | 'crank-first';
  /** Which inputs have a pin (null values in the initial inputs mean "not configured"). */
  initialInputs: Inputs;
}

/** Persisted controller state (state-store.ts writes it; docs/pump.md Safety 1). */
export interface PersistedPumpState {
  v: 1;
  state: StateName;
  armed: boolean;
  holdRemainingS: number;
  lockoutRemainingS: number;
  refillRuntimeS: number;
  error: string | null;
  /** Present while a run is in progress (PRIMING … STOPPING). */
  run: { usedS: number; fireOffRemainingS: number; attempt: number; engineOn: boolean; graceful: boolean } | null;
  lastTriggerId: string | null;
  /**
   * The state file could not be read or verified at some boot and no operator has cleared that yet
   * (issue 12): kept across restarts so a second boot does not forget it.
   */
  stateLost: boolean;
}

/** All outputs off. */
export function allOff(): Outputs {
  return { mainValve: false, ignitionStart: false, ignitionOn: false, ignitionOff: false, refillValve: false, primingValve: false, rpmReduce: false };
}

/**
 * Outputs as a pure function of state and inputs (docs/pump.md table). The float gates the refill valve
 * everywhere ("the float closes the refill valve whenever the tank is full").
 */
export function outputsOf(s: PumpState, inputs: Inputs, crankSequence: MachineConfig['crankSequence']): Outputs {
  const o = allOff();
  const refill = inputs.reservoirFloat !== true;
  switch (s.name) {
    case 'IDLE':
    case 'ERROR':
      break;
    case 'MANUAL_VALVE':
      o.mainValve = true;
      break;
    case 'PRIMING':
      o.mainValve = o.primingValve = true;
      o.refillValve = refill;
      break;
    case 'STARTING':
      o.mainValve = o.primingValve = true;
      o.refillValve = refill;
      // crank-first (unusual wiring): the run circuit rises only after the crank pulse.
      o.ignitionOn = crankSequence === 'ignition-first';
      o.ignitionStart = s.phase === 'crank';
      break;
    case 'RUNNING':
    case 'REDUCING_RPM':
      o.mainValve = o.ignitionOn = true;
      o.refillValve = refill;
      o.primingValve = s.priming;
      o.rpmReduce = s.name === 'REDUCING_RPM';
      break;
    case 'STOPPING':
      o.ignitionOff = o.mainValve = true;
      o.refillValve = refill;
      break;
    case 'REFILLING':
      o.refillValve = refill;
      o.mainValve = s.mainValve;
      break;
    case 'COOLDOWN':
      o.mainValve = s.mainValve;
      break;
  }
  return o;
}

/** A fresh run record. */
export function newRun(kind: Run['kind'], now: number): Run {
  return { kind, attempt: 1, lastTriggerAt: now, ignitionOnAt: null, limitAt: null, usedBeforeMs: 0, runningSince: null, primingEndsAt: null, confirmed: false, noWaterSince: null, lowPressureSince: null };
}

/**
 * COOLDOWN lasts until the later of cooldownDuration and the main valve's close time, so IDLE (all
 * off) never cuts the valve delay short ("mainValve until engine stop + valveCloseDelay").
 */
export function cooldown(now: number, valveCloseAt: number, cooldownMs: number): PumpState {
  return { name: 'COOLDOWN', epoch: 0, until: Math.max(now + cooldownMs, valveCloseAt), valveCloseAt, mainValve: valveCloseAt > now };
}
