import { join } from 'node:path';
import type { AppBus } from '../bus/index.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { IdSource } from '../core/ids.js';
import { repeatEvery } from '../core/repeat.js';
import type { MetricSnapshot } from '../core/metrics.js';
import { fail, ok, type Result } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import { RefusalSummary } from '../log/refusal-summary.js';
import type { MqttLink } from '../mqtt/link.js';
import { PUMP_STATES, type PumpEvent, type PumpStatePayload } from '../topics/payloads.js';
import { refusalCode, refusalInfo, type CommandRefusal, type TriggerRefusal } from '../topics/refusals.js';
import type { PumpConfig } from './config.js';
import type { GpioDriver } from './gpio-driver.js';
import { createGpioDriver } from './gpio-select.js';
import { PumpMachine } from './machine.js';
import { allOff, type CommandAction, type HandleResult, type MachineEvent, type Outputs } from './machine-types.js';
import { PumpMqttAdapter } from './mqtt-adapter.js';
import { PinIo } from './pin-io.js';
import { buildStatePayload, type ExitView } from './state-payload.js';
import { PumpStateStore } from './state-store.js';
import { pumpStatus, type PumpStatus } from './status.js';

/** Options of {@link createPumpController} (one options object, docs/style.md rule 5). */
export interface PumpControllerOptions {
  config: PumpConfig;
  nodeId: string;
  stateDir: string;
  logger: Logger;
  clock: Clock;
  bus?: AppBus;
  link?: MqttLink;
  /** The process's message-id source (src/core/ids.ts), shared with the MQTT core; default a new one. */
  ids?: IdSource;
  /** A ready driver (tests, HIL); otherwise built from `config.driver`. */
  driver?: GpioDriver;
  bootId?: string;
  /** Seconds since boot, for aging persisted remaining times within one boot (default os.uptime). */
  uptimeS?: () => number;
  clockSynced?: () => boolean;
  triggerTtlSeconds?: number;
  /** Device-tree model path for `driver: auto` (tests). */
  modelPath?: string;
  /**
   * Refused triggers/commands: one log line per reason per this interval, individual events for
   * the first few, then one summary event with the count (`log.refusalSummarySeconds`; default 60 s).
   */
  refusalSummaryMs?: number;
}

/** Individual refusal events per reason per interval before only the summary is published. */
const REFUSAL_EVENTS_PER_INTERVAL = 10;

/** What the status page shows. */
export interface PumpSnapshot {
  state: PumpStatePayload;
  pins: Record<string, { pin: number; level: 0 | 1 }>;
  lastEvents: PumpEvent[];
}

/** The pump part as other folders see it. */
export interface PumpController {
  /** Restore persisted state, subscribe, start input sampling, heartbeat and the mock warning. */
  start(): void;
  /**
   * Safe stop for exit: ignition-off pulse if the engine ran (published as STOPPING as it happens),
   * all outputs off, then a final retained `STOPPED_FOR_EXIT` state with its event; release pins.
   * Idempotent (the first call's `why` names the exit).
   */
  stop(why?: string): Promise<void>;
  /** Operator command from a local source (status page); MQTT commands arrive via the adapter. */
  command(action: CommandAction, source?: string): HandleResult;
  /** State payload + pin levels + last events. */
  snapshot(): PumpSnapshot;
  /** The pump's status for the status page and health (src/pump/status.ts). */
  status(): PumpStatus;
  /** Health counters (docs/pump.md): runs, total runtime, dry-run trips, refused triggers by reason (exported as `wfe_pump_<key>`). */
  metrics(): MetricSnapshot;
  /** The state file's last write error, null once a save succeeds again (health: state_write_failed). */
  stateWriteError(): string | null;
}

const HEARTBEAT_MS = 100; // toggling every 100 ms = a 5 Hz square wave (docs/pump.md Safety 7)
const MOCK_WARN_MS = 60_000;
// While the engine runs the state file is rewritten every second with one second of margin, so a
// crash (SIGKILL, power) never under-counts the runtime a resumed run is charged (Safety 1 and 3);
// a 10 s tick lost up to 10 s per crash. One small atomic write a second, during runs only.
const PERSIST_TICK_MS = 1000;

/**
 * Build the pump controller: GPIO driven all-off before anything else (Safety 1), then the machine
 * wired to the pins, the state file and the MQTT/bus adapter. Fails (as a value) when the driver
 * cannot open; it never falls back to mock.
 */
export async function createPumpController(opts: PumpControllerOptions): Promise<Result<PumpController>> {
  const { config, clock } = opts;
  const log = opts.logger.child('pump');
  let driver = opts.driver;
  if (!driver) {
    if (!config.driver) return fail('pump.driver is not set: choose rpio, gpiochip, mock or auto');
    const d = createGpioDriver({ driver: config.driver, clock, modelPath: opts.modelPath });
    if (!d.ok) return d;
    driver = d.value;
  }
  const io = new PinIo(driver, config.pins);
  const opened = await driver.open(io.openSpec()); // every output claimed at its OFF level
  if (!opened.ok) return fail(`pump: GPIO ${driver.kind} could not open: ${opened.reason}`);
  io.forceAllOff();
  return ok(new Controller(opts, driver, io, log));
}

class Controller implements PumpController {
  private readonly machine: PumpMachine;
  private readonly store: PumpStateStore;
  private readonly adapter: PumpMqttAdapter;
  private out: Outputs = allOff();
  private readonly events: PumpEvent[] = [];
  private readonly refused: Record<string, number> = {};
  /** Commands refused before the machine, by reason code (exact; the events are rate limited). */
  private readonly refusedCommands: Record<string, number> = {};
  private readonly refusals: RefusalSummary;
  private timers: Record<'poll' | 'heartbeat' | 'mockWarn' | 'persist', TimerHandle | undefined> = { poll: undefined, heartbeat: undefined, mockWarn: undefined, persist: undefined };
  private hbLevel = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private halted = false;
  /** Set by the exit safe stop: the state it is in (published and shown by snapshot()). */
  private exitView: ExitView | undefined;

  constructor(
    private readonly opts: PumpControllerOptions,
    private readonly driver: GpioDriver,
    private readonly io: PinIo,
    private readonly log: Logger,
  ) {
    const c = opts.config;
    this.store = new PumpStateStore({ path: c.stateFile ?? join(opts.stateDir, 'pump-state.json'), bootId: opts.bootId, uptimeS: opts.uptimeS });
    this.machine = new PumpMachine({ timings: c.timings, crankSequence: c.crankSequence, initialInputs: io.readInputs() }, opts.clock, {
      onEvent: (e) => this.onMachineEvent(e),
      onOutputs: (o, partOfTransition) => this.onOutputs(o, partOfTransition),
      onTransition: () => {
        this.persist();
        this.publishState();
      },
    });
    this.adapter = new PumpMqttAdapter({
      nodeId: opts.nodeId,
      clock: opts.clock,
      logger: this.log,
      link: opts.link,
      bus: opts.bus,
      ids: opts.ids,
      zones: c.zones,
      triggerTtlSeconds: opts.triggerTtlSeconds ?? 120,
      commandExpirySeconds: c.timings.commandExpirySeconds,
      clockSynced: opts.clockSynced ?? (() => true),
      onTrigger: (id, via) => this.guard(() => this.machine.handle({ type: 'trigger', id, source: via })),
      onCommand: (action, source) => this.guard(() => this.machine.handle({ type: 'command', action, source })),
      onRefused: (kind, reason, extra) => {
        const code = refusalCode(kind, reason);
        if (kind === 'trigger') this.refused[reason] = (this.refused[reason] ?? 0) + 1;
        else this.refusedCommands[code] = (this.refusedCommands[code] ?? 0) + 1;
        this.reportRefusal(kind, code, reason, { event: `${kind}_refused`, from: this.machine.state().name, to: null, reason, ...extra });
      },
    });
    this.refusals = new RefusalSummary({
      clock: opts.clock,
      intervalMs: opts.refusalSummaryMs ?? 60_000,
      eventsPerInterval: REFUSAL_EVENTS_PER_INTERVAL,
      onSummary: (r) => {
        const [kind, code] = splitKey(r.key);
        const interval_s = r.intervalMs / 1000;
        const fields = { reason: code, count: r.total, without_own_event: r.unevented, interval_s };
        // Expected and frequent refusals (the catalogue's `quiet`: a trigger's MQTT echo) stay at debug.
        if (refusalInfo(kind === 'command' ? 'command' : 'trigger', code).quiet) this.log.debug(`${r.total} ${kind}s refused (${code}) in the last ${interval_s} s`, fields);
        else this.log.warn(`${r.total} ${kind}s refused (${code}) in the last ${interval_s} s; only the first was logged and the first ${REFUSAL_EVENTS_PER_INTERVAL} got an event each`, fields);
        if (r.unevented > 0 && !this.halted) this.publishEvent({ event: `${kind}_refused_summary`, from: this.machine.state().name, to: null, ...fields });
      },
    });
    driver.onFault = (reason) => {
      this.log.error('GPIO driver fault: outputs can no longer be trusted; latching ERROR', { reason });
      this.machine.handle({ type: 'output_fault', output: 'mainValve', reason });
    };
  }

  start(): void {
    // A controller stopped before it started (a signal during boot: the lifecycle's safe stop ran
    // first) never starts: it would restore a run, subscribe and publish after its final state.
    if (this.started || this.stopping) return;
    this.started = true;
    const prior = this.store.load();
    if (prior.kind === 'lost') {
      // Never "start without it" (issue 12): a pump the owner disarmed, or one refilling its tank,
      // would start on the next automatic trigger. Come up as restrictive as the config allows.
      this.log.error(
        `${prior.reason}: PUMP STATE LOST. Starting disarmed, with the longest refill lockout, automatic triggers refused; manual start still works. Check the SD card, then send reset and arm to clear`,
        { previousCopy: prior.previous ? { state: prior.previous.state, armed: prior.previous.armed } : null },
      );
      this.machine.restoreLost(prior.previous);
    } else if (prior.kind === 'ok') {
      if (prior.legacy) this.log.warn('pump state file has no checksum (written by an older version): accepted once under the strict schema, rewritten with a checksum now');
      this.log.info('restoring persisted pump state', { state: prior.state.state, run: prior.state.run, lockoutRemainingS: prior.state.lockoutRemainingS });
      this.machine.restore(prior.state);
      if (prior.legacy) this.persist();
    }
    this.adapter.start();
    if (this.io.hasInputs()) this.pollInputs();
    if (this.driver.kind === 'mock') this.mockWarning();
    this.publishState();
  }

  async stop(why = 'shutdown'): Promise<void> {
    if (!this.stopping) this.refusals.flush(); // the held-back counts go out before the final state
    this.stopping ??= this.safeStop(why);
    return this.stopping;
  }

  command(action: CommandAction, source = 'local'): HandleResult {
    return this.guard(() => this.machine.handle({ type: 'command', action, source }));
  }

  snapshot(): PumpSnapshot {
    return { state: this.statePayload(), pins: this.io.levels(this.out, this.hbLevel), lastEvents: [...this.events] };
  }

  status(): PumpStatus {
    return pumpStatus(this);
  }

  metrics(): MetricSnapshot {
    const c = this.machine.counters;
    return {
      runs_total: c.runs,
      runtime_seconds_total: c.totalRuntimeMs / 1000,
      dry_run_trips_total: c.dryRunTrips,
      low_pressure_trips_total: c.lowPressureTrips,
      refused_triggers_total: { ...this.refused, ...Object.fromEntries(Object.entries(c.refused).filter(([k]) => !k.startsWith('command_'))) },
      refused_commands_total: { ...this.refusedCommands, ...Object.fromEntries(Object.entries(c.refused).filter(([k]) => k.startsWith('command_')).map(([k, v]) => [refusalCode('command', k.slice(8)), v])) },
      stale_timers_total: c.staleTimers,
      commands_for_other_nodes_total: this.adapter.otherTargets,
      triggers_deduplicated_total: this.adapter.duplicates,
      armed: this.machine.isArmed() ? 1 : 0,
      state: Object.fromEntries(PUMP_STATES.map((st) => [st, st === this.machine.state().name ? 1 : 0])),
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  private guard(fn: () => HandleResult): HandleResult {
    if (this.halted) return { accepted: false, reason: 'shutting_down' satisfies TriggerRefusal & CommandRefusal };
    return fn();
  }

  /** Pins follow at once; the state is published here only for a change within a state (onTransition publishes the others). */
  private onOutputs(o: Outputs, partOfTransition: boolean): void {
    if (this.halted) return;
    const faults = this.io.apply(this.out, o);
    this.out = o;
    if (faults.length) {
      this.log.error('GPIO write failed', { faults });
      this.io.forceAllOff();
      this.machine.handle({ type: 'output_fault', output: faults[0].output, reason: faults[0].reason });
      return;
    }
    this.heartbeat();
    this.persistTick();
    if (!partOfTransition) this.publishState();
  }

  private onMachineEvent(e: MachineEvent): void {
    if (e.event === 'transition') this.log.info(`${e.from} → ${e.to}`, { reason: e.reason });
    else if (e.event === 'trigger_refused') {
      this.refused[String(e.reason)] = (this.refused[String(e.reason)] ?? 0) + 1;
      // loud (trigger_blocked_refilling et al.), but once per reason per interval
      return this.reportRefusal('trigger', refusalCode('trigger', String(e.reason)), String(e.reason), e as PumpEvent);
    } else if (e.event === 'command_refused') {
      return this.reportRefusal('command', refusalCode('command', String(e.reason)), String(e.reason), e as PumpEvent, 'info');
    }
    this.publishEvent(e as PumpEvent);
  }

  /** Log and publish a refusal within the rate limit; the counters are kept by the callers (exact). */
  private reportRefusal(kind: 'trigger' | 'command', code: string, reason: string, e: PumpEvent, level: 'warn' | 'info' = 'warn'): void {
    const v = this.refusals.admit(`${kind}:${code}`);
    if (v.log) {
      const quiet = refusalInfo(kind, code).quiet === true; // e.g. a local trigger's MQTT echo: expected
      const { event: _e, from: _f, to: _t, ...extra } = e;
      this.log[quiet ? 'debug' : level](`${kind} refused: ${reason}`, { ...extra, more_within_s: (this.opts.refusalSummaryMs ?? 60_000) / 1000 });
    }
    if (v.event) this.publishEvent(e);
  }

  private publishEvent(e: PumpEvent): void {
    this.events.push(e);
    if (this.events.length > 50) this.events.shift();
    this.adapter.publishEvent(e);
  }

  private publishState(): void {
    this.adapter.publishState(this.statePayload());
  }

  private statePayload(): PumpStatePayload {
    return buildStatePayload({
      envelope: this.adapter.envelope(),
      machine: this.machine,
      outputs: this.out,
      exitView: this.exitView,
      clock: this.opts.clock,
      driverKind: this.driver.kind,
    });
  }

  /** The pump state file's last write error, null once a save succeeds (health: state_write_failed). */
  stateWriteError(): string | null {
    return this.store.lastWriteError;
  }

  private persist(): void {
    if (this.halted) return;
    const r = this.store.save(this.machine.persisted(PERSIST_TICK_MS));
    if (!r.ok) this.log.error(r.reason);
  }

  /** While the engine runs, persist every PERSIST_TICK_MS so a restart counts the runtime used. */
  private persistTick(): void {
    if (!this.out.ignitionOn || this.timers.persist) return;
    this.timers.persist = repeatEvery(this.opts.clock, PERSIST_TICK_MS, () => {
      if (!this.out.ignitionOn || this.halted) {
        this.timers.persist = undefined;
        return false;
      }
      this.persist();
    });
  }

  /** 5 Hz square wave while any output is on; low otherwise (the dead-man then cuts ignition). */
  private heartbeat(): void {
    if (!this.io.hasHeartbeat() || this.timers.heartbeat || !Object.values(this.out).some(Boolean)) return;
    // The first beat is now (an output is on); it ends itself once every output is off.
    this.timers.heartbeat = repeatEvery(
      this.opts.clock,
      HEARTBEAT_MS,
      () => {
        if (this.halted || !Object.values(this.out).some(Boolean)) {
          this.hbLevel = false;
          this.io.heartbeat(false);
          this.timers.heartbeat = undefined;
          return false;
        }
        this.hbLevel = !this.hbLevel;
        this.io.heartbeat(this.hbLevel);
      },
      { immediate: true },
    );
  }

  private pollInputs(): void {
    const tick = () => {
      if (this.halted) return false;
      const now = this.io.readInputs();
      const cur = this.machine.currentInputs();
      for (const k of Object.keys(now) as Array<keyof typeof now>) {
        const v = now[k];
        if (v !== null && v !== cur[k]) this.machine.handle({ type: 'input', name: k, value: v });
      }
    };
    this.timers.poll = repeatEvery(this.opts.clock, this.opts.config.inputPollMs, tick, { immediate: true });
  }

  private mockWarning(): void {
    const warn = () => {
      if (this.halted) return false;
      this.log.warn('GPIO driver is MOCK: PUMP WILL NOT OPERATE. No relay is switched; set pump.driver to rpio or gpiochip on the Pi');
    };
    this.timers.mockWarn = repeatEvery(this.opts.clock, MOCK_WARN_MS, warn, { immediate: true });
  }

  private async safeStop(why: string): Promise<void> {
    const from = this.machine.state().name;
    const engineRan = this.out.ignitionOn || this.out.ignitionStart || from === 'STOPPING';
    // Keep the run's used runtime for the restart (Safety 1). Never before start(): the machine has
    // not restored the file yet, and saving its fresh IDLE would erase a latched ERROR or a lockout.
    // The exit states below are never persisted: a restart resumes from what the machine knew.
    if (this.started) this.persist();
    this.halted = true;
    this.machine.halt();
    this.adapter.stop();
    for (const t of Object.values(this.timers)) t?.cancel();
    const reason = `exit:${why}`;
    if (engineRan) {
      // A real STOPPING (issue 12 item 3): engine and every other output off at once, the stop
      // pulse, and by default the main valve left open as in a normal STOPPING, since closing it
      // while the engine still turns dead-heads the pump (pump.exitMainValve). Never opened here.
      const hold = this.opts.config.exitMainValve === 'hold' && this.out.mainValve;
      this.io.forceAllOff(hold ? ['mainValve'] : []);
      this.io.set('ignitionOff', true);
      this.out = { ...allOff(), mainValve: hold, ignitionOff: true };
      this.publishEvent({ event: 'transition', from, to: 'STOPPING', reason, exit: true, main_valve_held: hold });
      this.exitView = { state: 'STOPPING' };
      this.publishState();
      // An output is on during the pulse, so the dead-man heartbeat keeps toggling (Safety 7).
      let hb = this.hbLevel;
      const toggle = () => {
        hb = !hb;
        this.io.heartbeat(hb);
      };
      const beat = this.io.hasHeartbeat() ? repeatEvery(this.opts.clock, HEARTBEAT_MS, toggle, { immediate: true }) : undefined;
      const ms = this.opts.config.timings.ignitionOffDuration * 1000;
      await new Promise<void>((r) => this.opts.clock.setTimer(ms, r));
      beat?.cancel();
      this.io.set('ignitionOff', false);
    }
    // Every output off (Safety 7), whatever we believe they are.
    this.io.forceAllOff();
    this.out = allOff();
    this.log.info('pump stopped: all outputs off', { engineRan, why });
    // The last retained state names what it is, so Home Assistant and the status page never show a
    // running pump on a node that is gone; `offline` follows from the MQTT core.
    this.publishEvent({ event: 'transition', from: engineRan ? 'STOPPING' : from, to: 'STOPPED_FOR_EXIT', reason, exit: true, engine_ran: engineRan });
    this.exitView = { state: 'STOPPED_FOR_EXIT' };
    this.publishState();
    await this.driver.close();
  }
}

/** `trigger:expired` → ['trigger', 'expired'] (`other` when keys overflowed). */
function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return i < 0 ? ['refusal', key] : [key.slice(0, i), key.slice(i + 1)];
}
