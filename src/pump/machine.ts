import type { Clock, TimerHandle } from '../core/clock.js';
import type { PumpOutput } from '../topics/payloads.js';
import { commandRefusal, type TriggerRefusal } from '../topics/refusals.js';
import type { InputRole } from './config.js';
import {
  allOff,
  cooldown,
  newRun,
  outputsOf,
  type CommandAction,
  type HandleResult,
  type Inputs,
  type MachineConfig,
  type MachineEvent,
  type MachineInput,
  type Outputs,
  type PersistedPumpState,
  type PumpState,
  type Run,
  type StateName,
  type StopNext,
} from './machine-types.js';
import { planRestore, planStateLost, toPersisted, type RestorePlan } from './machine-persist.js';
import { deadlinesOf, type TimerName, type TimingsMs } from './machine-timers.js';

/**
 * Callbacks of the machine; all synchronous. A transition calls them in the order onEvent
 * (`transition`) → onOutputs (if an output changed, `partOfTransition` true) → onTransition.
 */
export interface MachineHooks {
  /** Every transition `(from, to, reason)` and every refusal/notable decision. */
  onEvent?(e: MachineEvent): void;
  /**
   * Outputs changed (called after every change, with the full set). `partOfTransition`: an
   * onTransition call follows in the same step, so whoever publishes the state publishes it there,
   * once (issue 15: the state went out twice per transition); false for a change inside a state
   * (crank phase, priming over, valve-close delay, the float).
   */
  onOutputs?(o: Outputs, partOfTransition: boolean): void;
  /** A transition happened (after onEvent and onOutputs); the controller persists and publishes here. */
  onTransition?(from: StateName, to: StateName, reason: string): void;
}

/** Counters for health (docs/pump.md "Health counters"). */
export interface MachineCounters {
  runs: number;
  totalRuntimeMs: number;
  dryRunTrips: number;
  lowPressureTrips: number;
  refused: Record<string, number>;
  staleTimers: number;
}

const S = 1000;
const ENGINE_ON: ReadonlySet<StateName> = new Set(['STARTING', 'RUNNING', 'REDUCING_RPM']);

/**
 * The pure pump state machine (docs/pump.md "States", normative). It imports no Node I/O: time comes
 * from the injected Clock, hardware effects leave through `onOutputs`, and `handle(event)` is the
 * only way in. Each state instance has an epoch; its timers are armed from the deadlines in its
 * data and all cancelled on every state change, and a timer whose epoch is not current is dropped
 * (counted as `staleTimers`, which must stay 0).
 *
 * Longer than docs/style.md's ~300 lines on purpose: the whole transition table (triggers, commands,
 * inputs, timers) stays in one class so every way into and out of a state is reviewed together;
 * data types, timer deadlines and persistence live in the machine-*.ts siblings.
 */
export class PumpMachine {
  private s: PumpState = { name: 'IDLE', epoch: 0 };
  private epochSeq = 0;
  private timers: TimerHandle[] = [];
  private out: Outputs = allOff();
  private inputs: Inputs;
  private armed = true;
  /** Latched "state lost" (issue 12): automatic triggers refused until an operator `reset` or `arm`. */
  private stateLost = false;
  private holdUntil: number | null = null;
  private lastTriggerId: string | null = null;
  private lastButtonAt = -Infinity;
  private readonly t: Record<keyof MachineConfig['timings'], number>;
  readonly counters: MachineCounters = { runs: 0, totalRuntimeMs: 0, dryRunTrips: 0, lowPressureTrips: 0, refused: {}, staleTimers: 0 };

  constructor(
    private readonly cfg: MachineConfig,
    private readonly clock: Clock,
    private readonly hooks: MachineHooks = {},
  ) {
    this.inputs = { ...cfg.initialInputs };
    // Milliseconds for every timing except the two unitless ones (count, multiplier).
    this.t = Object.fromEntries(Object.entries(cfg.timings).map(([k, v]) => [k, k === 'maxStartAttempts' || k === 'refillMultiplier' ? v : v * S])) as typeof this.t;
  }

  /** Current state (read-only view). */
  state(): Readonly<PumpState> {
    return this.s;
  }
  /** Current logical outputs. */
  outputs(): Outputs {
    return { ...this.out };
  }
  /** Current logical inputs. */
  currentInputs(): Inputs {
    return { ...this.inputs };
  }
  /** Armed (automatic triggers accepted). */
  isArmed(): boolean {
    return this.armed;
  }
  /** The state file was lost or corrupt and no operator has cleared it yet (`reset` or `arm`). */
  isStateLost(): boolean {
    return this.stateLost;
  }
  /** Seconds left of the operator hold. */
  holdRemainingS(): number {
    return this.holdUntil === null ? 0 : Math.max(0, (this.holdUntil - this.clock.now()) / S);
  }
  /** Seconds left of the refill lockout. */
  lockoutRemainingS(): number {
    return this.s.name === 'REFILLING' ? Math.max(0, (this.s.lockoutUntil - this.clock.now()) / S) : 0;
  }
  /** Last accepted trigger id. */
  lastTrigger(): string | null {
    return this.lastTriggerId;
  }
  /** Run info for the state payload. */
  runInfo(): { ignitionOnAt: number | null; runtimeMs: number; remainingMs: number; attempt: number } | null {
    const run = 'run' in this.s ? this.s.run : null;
    if (!run) return null;
    const now = this.clock.now();
    const on = run.ignitionOnAt !== null && ENGINE_ON.has(this.s.name);
    const runtimeMs = run.usedBeforeMs + (on && run.ignitionOnAt !== null ? now - run.ignitionOnAt : 0);
    const remainingMs = run.limitAt !== null ? Math.max(0, run.limitAt - now) : this.t.maxEngineRuntime - run.usedBeforeMs;
    return { ignitionOnAt: run.ignitionOnAt, runtimeMs, remainingMs, attempt: run.attempt };
  }

  /** The one entry point (docs/style.md rule 3). Returns accepted/refused with a reason (for acks). */
  handle(ev: MachineInput): HandleResult {
    switch (ev.type) {
      case 'trigger':
        return this.onTrigger(ev.id, ev.source);
      case 'command':
        return this.onCommand(ev.action, ev.source);
      case 'input':
        this.onInput(ev.name, ev.value);
        return { accepted: true, reason: null };
      case 'output_fault':
        // A driver that cannot write cannot be trusted to stop the engine later: latch ERROR now
        // (all outputs off is the best remaining move), docs/pump.md "main valve not confirmed".
        if (this.s.name !== 'ERROR') this.enter({ name: 'ERROR', epoch: 0, reason: `output_fault:${ev.output}: ${ev.reason}` }, `output_fault:${ev.output}`);
        return { accepted: true, reason: null };
    }
  }

  // ---- triggers ---------------------------------------------------------------------------

  /** Refuse a trigger with a catalogued reason (src/topics/refusals.ts): counted and evented. */
  private refuse(reason: TriggerRefusal, extra: Record<string, unknown> = {}): HandleResult {
    this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
    this.emit({ event: 'trigger_refused', from: this.s.name, to: null, reason, ...extra });
    return { accepted: false, reason };
  }

  private onTrigger(id: string | null, source: string): HandleResult {
    const s = this.s;
    const now = this.clock.now();
    if (s.name === 'ERROR') return this.refuse('error_latched', { trigger_id: id, error: s.reason });
    // Before the lockout and disarm checks, so the refusal names the root cause (loud: notified).
    if (this.stateLost) return this.refuse('state_lost', { trigger_id: id, lockout_remaining_s: this.lockoutRemainingS() });
    // Loud: logged, evented and notified by the adapter (docs/pump.md "Rules the table implies").
    if (s.name === 'STOPPING' || s.name === 'REFILLING') return this.refuse('trigger_blocked_refilling', { trigger_id: id, lockout_remaining_s: this.lockoutRemainingS() });
    if (!this.armed) return this.refuse('disarmed', { trigger_id: id });
    if (this.holdUntil !== null && now < this.holdUntil) return this.refuse('operator_hold', { trigger_id: id, hold_remaining_s: this.holdRemainingS() });
    if (s.name === 'REDUCING_RPM' && s.kind === 'limit') return this.refuse('limit_stop', { trigger_id: id });
    this.lastTriggerId = id ?? this.lastTriggerId;
    return this.beginOrExtend('trigger', `trigger:${source}`, id);
  }

  /** Start a run from a resting state, or extend a running one through its fire-off timer only. */
  private beginOrExtend(kind: Run['kind'], reason: string, id: string | null): HandleResult {
    const s = this.s;
    const now = this.clock.now();
    switch (s.name) {
      case 'IDLE':
      case 'MANUAL_VALVE':
      case 'COOLDOWN':
      case 'REFILLING':
        this.enter({ name: 'PRIMING', epoch: 0, run: newRun(kind, now), until: now + this.t.preOpenDelay }, reason);
        return { accepted: true, reason: null };
      case 'PRIMING':
      case 'STARTING':
        s.run.lastTriggerAt = now; // applied once RUNNING arms fire-off (scenario 20)
        this.emit({ event: 'run_extended', from: s.name, to: s.name, reason, trigger_id: id });
        return { accepted: true, reason: 'already_starting' };
      case 'RUNNING':
        s.run.lastTriggerAt = now;
        this.rearm(); // fire-off re-armed; the limit deadline is untouched (it lives in run.limitAt)
        this.emit({ event: 'run_extended', from: s.name, to: s.name, reason, trigger_id: id });
        return { accepted: true, reason: 'already_running' };
      case 'REDUCING_RPM':
        if (s.kind === 'limit') return { accepted: false, reason: 'limit_stop' satisfies TriggerRefusal };
        s.run.lastTriggerAt = now;
        this.enter({ name: 'RUNNING', epoch: 0, run: s.run, priming: s.priming }, `shutdown_cancelled:${reason}`);
        return { accepted: true, reason: null };
      case 'STOPPING':
        return { accepted: false, reason: commandRefusal('stopping') };
      case 'ERROR':
        return { accepted: false, reason: 'error_latched' satisfies TriggerRefusal };
    }
  }

  // ---- commands ---------------------------------------------------------------------------

  private onCommand(action: CommandAction, source: string): HandleResult {
    const r = this.command(action);
    if (!r.accepted) this.counters.refused[`command_${r.reason}`] = (this.counters.refused[`command_${r.reason}`] ?? 0) + 1;
    this.emit({ event: r.accepted ? 'command_accepted' : 'command_refused', from: this.s.name, to: null, reason: r.reason, action, source });
    return r;
  }

  private command(action: CommandAction): HandleResult {
    const s = this.s;
    const now = this.clock.now();
    switch (action) {
      case 'arm':
      case 'disarm':
        this.armed = action === 'arm';
        if (action === 'arm') this.clearStateLost('arm');
        this.hooks.onTransition?.(s.name, s.name, action); // persisted like a transition
        return { accepted: true, reason: null };
      case 'start':
        // Manual start: not subject to lockout, hold or disarm; rules 2–5 still apply.
        if (s.name === 'ERROR') return { accepted: false, reason: commandRefusal('error_latched', 'send reset first') };
        if (s.name === 'STOPPING') return { accepted: false, reason: commandRefusal('stopping', 'retry after the stop pulse') };
        if (s.name === 'REDUCING_RPM' && s.kind === 'limit') return { accepted: false, reason: commandRefusal('limit_stop', 'the max runtime stop cannot be cancelled') };
        return this.beginOrExtend('manual', 'manual_start', null);
      case 'stop': {
        // Graceful stop now, then COOLDOWN and the operator hold (docs/pump.md "Commands").
        this.holdUntil = this.t.operatorHoldSeconds > 0 ? now + this.t.operatorHoldSeconds : null;
        if (s.name === 'STARTING' || s.name === 'RUNNING' || s.name === 'REDUCING_RPM') this.stopEngine(s.run, 'COOLDOWN', 'operator_stop');
        else if (s.name === 'PRIMING') this.enter(cooldown(now, now, this.t.cooldownDuration), 'operator_stop');
        else if (s.name === 'MANUAL_VALVE') this.enter({ name: 'IDLE', epoch: 0 }, 'operator_stop');
        else this.hooks.onTransition?.(s.name, s.name, 'operator_hold'); // persist the hold
        // STOPPING keeps its pulse; REFILLING keeps refilling with its lockout timer running, so
        // the lockout always ends by itself (reference defect R8: silent lockout after stop).
        return { accepted: true, reason: null };
      }
      case 'reset':
        this.holdUntil = null;
        this.clearStateLost('reset');
        if (s.name === 'ERROR') this.enter({ name: 'IDLE', epoch: 0 }, 'reset');
        else if (s.name === 'REFILLING') this.enter(cooldown(now, s.mainValve ? s.valveCloseAt : now, this.t.cooldownDuration), 'reset');
        else this.hooks.onTransition?.(s.name, s.name, 'reset');
        return { accepted: true, reason: null };
      case 'valve_open':
        if (s.name === 'IDLE' || s.name === 'COOLDOWN') {
          this.enter({ name: 'MANUAL_VALVE', epoch: 0, until: now + this.t.manualValveSeconds }, 'valve_open');
          return { accepted: true, reason: null };
        }
        if (s.name === 'MANUAL_VALVE') return { accepted: true, reason: 'already_open' };
        return { accepted: false, reason: commandRefusal('not_idle', `main valve is controlled by ${s.name}`) };
      case 'valve_close':
        if (s.name === 'MANUAL_VALVE') this.enter({ name: 'IDLE', epoch: 0 }, 'valve_close');
        else if (s.name === 'REFILLING' || s.name === 'COOLDOWN') {
          s.mainValve = false;
          this.rearm();
        } else if (s.name !== 'IDLE' && s.name !== 'ERROR') return { accepted: false, reason: commandRefusal('engine_running', 'stop first') };
        return { accepted: true, reason: null };
    }
  }

  // ---- inputs -----------------------------------------------------------------------------

  private onInput(name: InputRole, value: boolean): void {
    const prev = this.inputs[name];
    if (prev === value) return;
    this.inputs[name] = value;
    const s = this.s;
    const now = this.clock.now();
    if (name === 'emergencyButton') {
      // Edge-triggered manual start; held or bounced presses within 1 s count once (scenario 41).
      // A button already held at boot (prev unknown → initial value) needs a release first.
      if (value && prev === false && now - this.lastButtonAt >= 1000) {
        this.lastButtonAt = now;
        this.onCommand('start', 'button');
      }
      this.refreshOutputs();
      return;
    }
    if (name === 'reservoirFloat' && value && s.name === 'REFILLING') {
      this.enter(cooldown(now, s.mainValve ? s.valveCloseAt : now, this.t.cooldownDuration), 'float_full');
      return;
    }
    if (s.name === 'STARTING' || s.name === 'RUNNING' || s.name === 'REDUCING_RPM') {
      if (!s.run.confirmed && this.confirmSensor() === name && value) {
        s.run.confirmed = true;
        this.emit({ event: 'start_confirmed', from: s.name, to: s.name, reason: name });
      }
      if (s.name !== 'STARTING' && !s.priming) this.trackWater(s.run, now);
      this.rearm();
    }
    this.refreshOutputs();
  }

  /** Input that confirms the engine runs: engineRunning, else flow, else pressure, else none. */
  private confirmSensor(): InputRole | null {
    for (const k of ['engineRunning', 'flowSensor', 'linePressure'] as const) if (this.inputs[k] !== null) return k;
    return null;
  }
  /** Water sensor for dry-run protection: flow, else pressure as a proxy (docs/pump.md Safety 4). */
  private waterSensor(): InputRole | null {
    if (this.inputs.flowSensor !== null) return 'flowSensor';
    if (this.inputs.linePressure !== null) return 'linePressure';
    return null;
  }

  /** Update the continuous dry-run and low-pressure windows from the current inputs. */
  private trackWater(run: Run, now: number): void {
    const w = this.waterSensor();
    if (w) run.noWaterSince = this.inputs[w] ? null : (run.noWaterSince ?? now);
    if (this.inputs.linePressure !== null) run.lowPressureSince = this.inputs.linePressure ? null : (run.lowPressureSince ?? now);
  }

  // ---- timers -----------------------------------------------------------------------------

  private onTimer(name: TimerName, epoch: number): void {
    const s = this.s;
    if (epoch !== s.epoch) {
      this.counters.staleTimers++; // cannot happen: every timer is cancelled on exit
      return;
    }
    const now = this.clock.now();
    switch (name) {
      case 'manual_over':
        this.enter({ name: 'IDLE', epoch: 0 }, 'manual_valve_timeout');
        return;
      case 'primed':
        if (s.name !== 'PRIMING') return;
        if (!this.out.mainValve || this.inputs.mainValveFeedback === false) {
          this.enter({ name: 'ERROR', epoch: 0, reason: 'main_valve_not_confirmed' }, 'main_valve_not_confirmed');
          return;
        }
        this.startCrank(s.run, now, 'primed');
        return;
      case 'phase':
        if (s.name !== 'STARTING') return;
        if (s.phase === 'ignition') {
          this.enter({ ...s, epoch: 0, phase: 'crank', phaseUntil: now + this.t.ignitionStartDuration }, 'crank', true);
          return;
        }
        this.enterRunning(s.run, now);
        return;
      case 'limit':
        if (s.name === 'STARTING' || s.name === 'RUNNING' || s.name === 'REDUCING_RPM') this.stopEngine(s.run, 'REFILLING', 'max_runtime');
        return;
      case 'fireoff':
        if (s.name === 'RUNNING') this.enter({ name: 'REDUCING_RPM', epoch: 0, run: s.run, kind: 'graceful', until: Math.min(now + this.t.rpmReductionDuration, s.run.limitAt ?? Infinity), priming: s.priming }, 'fire_off');
        return;
      case 'reduce_limit':
        if (s.name === 'RUNNING' || s.name === 'REDUCING_RPM') {
          // From here on the stop cannot be cancelled (docs/pump.md: "a limit stop can never be cancelled").
          const priming = s.priming;
          this.enter({ name: 'REDUCING_RPM', epoch: 0, run: s.run, kind: 'limit', until: s.run.limitAt ?? now, priming }, 'max_runtime_approaching', s.name === 'REDUCING_RPM');
        }
        return;
      case 'reduction_over':
        if (s.name === 'REDUCING_RPM') this.stopEngine(s.run, 'REFILLING', s.kind === 'limit' ? 'max_runtime' : 'fire_off');
        return;
      case 'priming_over':
        if (s.name === 'RUNNING' || s.name === 'REDUCING_RPM') {
          s.priming = false;
          this.trackWater(s.run, now);
          this.emit({ event: 'priming_complete', from: s.name, to: s.name, reason: null });
          this.rearm();
          this.refreshOutputs();
        }
        return;
      case 'confirm':
        if (s.name !== 'RUNNING') return;
        if (s.run.attempt < this.t.maxStartAttempts) {
          s.run.attempt++;
          this.enter({ name: 'STARTING', epoch: 0, run: s.run, phase: 'crank', phaseUntil: now + this.t.ignitionStartDuration }, 'start_not_confirmed_retry');
        } else this.stopEngine(s.run, 'ERROR', 'start_failed');
        return;
      case 'dry':
        if (s.name === 'RUNNING' || s.name === 'REDUCING_RPM') {
          this.counters.dryRunTrips++;
          this.stopEngine(s.run, 'ERROR', 'dry_run');
        }
        return;
      case 'lowpress':
        if (s.name === 'RUNNING' || s.name === 'REDUCING_RPM') {
          this.counters.lowPressureTrips++;
          this.stopEngine(s.run, 'ERROR', 'low_pressure');
        }
        return;
      case 'pulse_over':
        if (s.name === 'STOPPING') this.afterStop(s, now);
        return;
      case 'lockout_over':
        if (s.name === 'REFILLING') this.enter(cooldown(now, s.mainValve ? s.valveCloseAt : now, this.t.cooldownDuration), 'refill_complete');
        return;
      case 'valve_close':
        if (s.name === 'REFILLING' || s.name === 'COOLDOWN') {
          s.mainValve = false;
          this.emit({ event: 'main_valve_closed', from: s.name, to: s.name, reason: 'valve_close_delay' });
          this.rearm();
          this.refreshOutputs();
        }
        return;
      case 'cooldown_over':
        if (s.name === 'COOLDOWN') this.enter({ name: 'IDLE', epoch: 0 }, 'cooldown_complete');
        return;
    }
  }

  private startCrank(run: Run, now: number, reason: string): void {
    if (this.cfg.crankSequence === 'ignition-first') {
      this.markIgnition(run, now);
      this.enter({ name: 'STARTING', epoch: 0, run, phase: 'ignition', phaseUntil: now + this.t.ignitionOnLeadTime }, reason);
    } else {
      this.enter({ name: 'STARTING', epoch: 0, run, phase: 'crank', phaseUntil: now + this.t.ignitionStartDuration }, reason);
    }
  }

  /** I: first rising edge of ignition on in this run; the limit is fixed here, once. */
  private markIgnition(run: Run, now: number): void {
    if (run.ignitionOnAt !== null) return;
    run.ignitionOnAt = now;
    run.limitAt = now + this.t.maxEngineRuntime - run.usedBeforeMs;
    this.counters.runs++;
  }

  private enterRunning(run: Run, now: number): void {
    this.markIgnition(run, now); // crank-first: ignition rises here
    const first = run.runningSince === null;
    if (first) {
      run.runningSince = now;
      run.primingEndsAt = now + this.t.primingDuration;
    }
    const sensor = this.confirmSensor();
    if (!sensor || this.inputs[sensor]) run.confirmed = true;
    const priming = run.primingEndsAt !== null && now < run.primingEndsAt;
    if (!priming) this.trackWater(run, now);
    // A re-crank restarts the confirmation window from its own E.
    run.runningSince = now;
    this.enter({ name: 'RUNNING', epoch: 0, run, priming }, first ? 'engine_running' : 'engine_recranked');
  }

  private stopEngine(run: Run, next: StopNext, reason: string): void {
    const now = this.clock.now();
    const runtimeMs = run.usedBeforeMs + (run.ignitionOnAt !== null ? now - run.ignitionOnAt : 0);
    this.counters.totalRuntimeMs += runtimeMs - run.usedBeforeMs;
    this.enter({ name: 'STOPPING', epoch: 0, run, next, reason, until: now + this.t.ignitionOffDuration, runtimeMs, engineStoppedAt: now }, reason);
  }

  private afterStop(s: Extract<PumpState, { name: 'STOPPING' }>, now: number): void {
    const valveCloseAt = s.engineStoppedAt + this.t.valveCloseDelay;
    switch (s.next) {
      case 'ERROR':
        this.enter({ name: 'ERROR', epoch: 0, reason: s.reason }, s.reason);
        return;
      case 'COOLDOWN':
        this.enter(cooldown(now, valveCloseAt, this.t.cooldownDuration), s.reason);
        return;
      case 'PRIMING': {
        const run = s.run ?? newRun('resume', now);
        this.enter({ name: 'PRIMING', epoch: 0, run, until: now + this.t.preOpenDelay }, 'resume_after_restart');
        return;
      }
      case 'REFILLING': {
        const lockout = Math.min(s.runtimeMs * this.t.refillMultiplier, this.t.maxRefillLockout);
        if (lockout <= 0) this.enter(cooldown(now, valveCloseAt, this.t.cooldownDuration), 'no_refill_needed');
        else this.enter({ name: 'REFILLING', epoch: 0, runtimeMs: s.runtimeMs, lockoutUntil: now + lockout, valveCloseAt, mainValve: valveCloseAt > now }, s.reason);
        return;
      }
    }
  }

  // ---- state changes ----------------------------------------------------------------------

  /**
   * Enter a state: cancel every timer of the old instance, emit `(from, to, reason)`, arm the new
   * instance's timers, then publish outputs. `subPhase` re-enters the same state name without a
   * transition event (crank phase, limit conversion of a reduction).
   */
  private enter(next: PumpState, reason: string, subPhase = false): void {
    const from = this.s.name;
    next.epoch = ++this.epochSeq;
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.s = next;
    if (subPhase) this.emit({ event: 'phase', from, to: next.name, reason });
    else this.emit({ event: 'transition', from, to: next.name, reason });
    this.armTimers();
    // Outputs first, so a state published from onTransition already shows the new levels.
    this.refreshOutputs(!subPhase);
    if (!subPhase) this.hooks.onTransition?.(from, next.name, reason);
    // A tank that is already full when the refill starts ends it at once (the float has no edge).
    if (next.name === 'REFILLING' && this.inputs.reservoirFloat === true && this.s === next) {
      this.enter(cooldown(this.clock.now(), next.mainValve ? next.valveCloseAt : this.clock.now(), this.t.cooldownDuration), 'float_full');
    }
  }

  /** Cancel every timer for good (controller shutdown); the machine ignores time afterwards. */
  halt(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.s.epoch = -1;
  }

  /** Re-arm the current state's timers from its (absolute) deadlines. */
  private rearm(): void {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    this.armTimers();
  }

  private armTimers(): void {
    const epoch = this.s.epoch;
    const now = this.clock.now();
    for (const [name, at] of deadlinesOf(this.s, this.t, this.confirmSensor() !== null)) {
      this.timers.push(this.clock.setTimer(Math.max(0, at - now), () => this.onTimer(name, epoch)));
    }
  }

  private refreshOutputs(partOfTransition = false): void {
    const o = outputsOf(this.s, this.inputs, this.cfg.crankSequence);
    if ((Object.keys(o) as PumpOutput[]).every((k) => o[k] === this.out[k])) return;
    this.out = o;
    this.hooks.onOutputs?.({ ...o }, partOfTransition);
  }

  private emit(e: MachineEvent): void {
    this.hooks.onEvent?.(e);
  }

  // ---- persistence ------------------------------------------------------------------------

  /**
   * Snapshot for the state file: remaining seconds, never absolute times (docs/pump.md Safety 1).
   * `unsavedMs`: how long the engine may run before the next save; while it runs, that much is
   * counted as used already, so a crash before the next save never under-counts the runtime.
   */
  persisted(unsavedMs = 0): PersistedPumpState {
    return toPersisted(this.s, {
      armed: this.armed,
      holdRemainingS: this.holdRemainingS(),
      lockoutRemainingS: this.lockoutRemainingS(),
      lastTriggerId: this.lastTriggerId,
      stateLost: this.stateLost,
      runtimeMs: (this.runInfo()?.runtimeMs ?? 0) + (this.out.ignitionOn ? unsavedMs : 0),
      ignitionOn: this.out.ignitionOn,
    }, this.t, this.clock.now());
  }

  /**
   * Resume after a restart (docs/pump.md Safety 1). Call once, right after construction, with the
   * outputs already driven off; the plan (machine-persist.ts) decides the state to enter.
   */
  restore(p: PersistedPumpState): void {
    this.applyPlan(planRestore(p, this.t, this.clock.now()));
  }

  /**
   * Boot on a state file that could not be read or verified (issue 12): stop pulse, the longest
   * lockout the config allows, disarmed, latched stateLost (machine-persist.ts planStateLost).
   * `previous`: the previous good copy, if it verified; it can only add restrictions.
   */
  restoreLost(previous: PersistedPumpState | null): void {
    this.applyPlan(planStateLost(previous, this.t, this.clock.now()));
  }

  private clearStateLost(by: 'arm' | 'reset'): void {
    if (!this.stateLost) return;
    this.stateLost = false;
    this.emit({ event: 'state_lost_cleared', from: this.s.name, to: this.s.name, reason: by });
  }

  private applyPlan(plan: RestorePlan): void {
    this.stateLost = plan.stateLost;
    this.armed = plan.armed;
    this.lastTriggerId = plan.lastTriggerId;
    this.holdUntil = plan.holdUntil;
    if (plan.state) this.enter(plan.state, plan.reason);
  }
}
