import { join } from 'node:path';
import type { AppBus } from '../bus/index.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { MetricSnapshot } from '../core/metrics.js';
import { fail, ok, type Result } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import type { MqttLink } from '../mqtt/link.js';
import { PUMP_INPUTS, type PumpEvent, type PumpStatePayload } from '../topics/payloads.js';
import type { PumpConfig } from './config.js';
import type { GpioDriver } from './gpio-driver.js';
import { createGpioDriver } from './gpio-select.js';
import { PumpMachine } from './machine.js';
import { allOff, type CommandAction, type HandleResult, type MachineEvent, type Outputs } from './machine-types.js';
import { PumpMqttAdapter } from './mqtt-adapter.js';
import { PinIo } from './pin-io.js';
import { PumpStateStore } from './state-store.js';

/** Options of {@link createPumpController} (one options object, STYLE.md rule 5). */
export interface PumpControllerOptions {
  config: PumpConfig;
  nodeId: string;
  stateDir: string;
  logger: Logger;
  clock: Clock;
  bus?: AppBus;
  link?: MqttLink;
  /** A ready driver (tests, HIL); otherwise built from `config.driver`. */
  driver?: GpioDriver;
  bootId?: string;
  /** Seconds since boot, for aging persisted remaining times within one boot (default os.uptime). */
  uptimeS?: () => number;
  clockSynced?: () => boolean;
  triggerTtlSeconds?: number;
  /** Device-tree model path for `driver: auto` (tests). */
  modelPath?: string;
}

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
  /** Safe stop: ignition-off pulse if the engine ran, all outputs off, final all-off state, release pins. Idempotent. */
  stop(): Promise<void>;
  /** Operator command from a local source (status page); MQTT commands arrive via the adapter. */
  command(action: CommandAction, source?: string): HandleResult;
  /** State payload + pin levels + last events. */
  snapshot(): PumpSnapshot;
  /** Health counters (PUMP.md): runs, total runtime, dry-run trips, refused triggers by reason (exported as `wfe_pump_<key>`). */
  metrics(): MetricSnapshot;
  /** The state file's last write error, null once a save succeeds again (health: state_write_failed). */
  stateWriteError(): string | null;
}

const HEARTBEAT_MS = 100; // toggling every 100 ms = a 5 Hz square wave (PUMP.md Safety 7)
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
  private timers: Record<'poll' | 'heartbeat' | 'mockWarn' | 'persist', TimerHandle | undefined> = { poll: undefined, heartbeat: undefined, mockWarn: undefined, persist: undefined };
  private hbLevel = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private halted = false;

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
      onOutputs: (o) => this.onOutputs(o),
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
      zones: c.zones,
      triggerTtlSeconds: opts.triggerTtlSeconds ?? 120,
      commandExpirySeconds: c.timings.commandExpirySeconds,
      clockSynced: opts.clockSynced ?? (() => true),
      onTrigger: (id, via) => this.guard(() => this.machine.handle({ type: 'trigger', id, source: via })),
      onCommand: (action, source) => this.guard(() => this.machine.handle({ type: 'command', action, source })),
      onRefused: (kind, reason, extra) => {
        if (kind === 'trigger') this.refused[reason] = (this.refused[reason] ?? 0) + 1;
        // A local trigger also comes back over MQTT: that duplicate is expected, keep it quiet.
        if (reason === 'duplicate') this.log.debug(`${kind} refused: ${reason}`, extra);
        else this.log.warn(`${kind} refused: ${reason}`, extra);
        this.publishEvent({ event: `${kind}_refused`, from: this.machine.state().name, to: null, reason, ...extra });
      },
    });
    driver.onFault = (reason) => {
      this.log.error('GPIO driver fault: outputs can no longer be trusted; latching ERROR', { reason });
      this.machine.handle({ type: 'output_fault', output: 'mainValve', reason });
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const prior = this.store.load();
    if (!prior.ok) this.log.error(prior.reason);
    else if (prior.value) {
      this.log.info('restoring persisted pump state', { state: prior.value.state, run: prior.value.run, lockoutRemainingS: prior.value.lockoutRemainingS });
      this.machine.restore(prior.value);
    }
    this.adapter.start();
    if (this.io.hasInputs()) this.pollInputs();
    if (this.driver.kind === 'mock') this.mockWarning();
    this.publishState();
  }

  async stop(): Promise<void> {
    this.stopping ??= this.safeStop();
    return this.stopping;
  }

  command(action: CommandAction, source = 'local'): HandleResult {
    return this.guard(() => this.machine.handle({ type: 'command', action, source }));
  }

  snapshot(): PumpSnapshot {
    return { state: this.statePayload(), pins: this.io.levels(this.out, this.hbLevel), lastEvents: [...this.events] };
  }

  metrics(): MetricSnapshot {
    const c = this.machine.counters;
    return {
      runs_total: c.runs,
      runtime_seconds_total: c.totalRuntimeMs / 1000,
      dry_run_trips_total: c.dryRunTrips,
      low_pressure_trips_total: c.lowPressureTrips,
      refused_triggers_total: { ...this.refused, ...Object.fromEntries(Object.entries(c.refused).filter(([k]) => !k.startsWith('command_'))) },
      stale_timers_total: c.staleTimers,
      armed: this.machine.isArmed() ? 1 : 0,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  private guard(fn: () => HandleResult): HandleResult {
    if (this.halted) return { accepted: false, reason: 'shutting_down' };
    return fn();
  }

  private onOutputs(o: Outputs): void {
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
    this.publishState();
  }

  private onMachineEvent(e: MachineEvent): void {
    if (e.event === 'transition') this.log.info(`${e.from} → ${e.to}`, { reason: e.reason });
    else if (e.event === 'trigger_refused') {
      this.refused[String(e.reason)] = (this.refused[String(e.reason)] ?? 0) + 1;
      this.log.warn(`trigger refused: ${e.reason}`, e); // loud: trigger_blocked_refilling et al.
    }
    this.publishEvent(e as PumpEvent);
  }

  private publishEvent(e: PumpEvent): void {
    this.events.push(e);
    if (this.events.length > 50) this.events.shift();
    this.adapter.publishEvent(e);
  }

  private publishState(forceOff = false): void {
    this.adapter.publishState(this.statePayload(forceOff));
  }

  private statePayload(forceOff = false): PumpStatePayload {
    const m = this.machine;
    const s = m.state();
    const inputs = m.currentInputs();
    const info = m.runInfo();
    const clock = this.opts.clock;
    return {
      ...this.adapter.envelope(),
      state: s.name,
      armed: m.isArmed(),
      outputs: forceOff ? allOff() : { ...this.out },
      inputs: Object.fromEntries(PUMP_INPUTS.map((k) => [k, inputs[k]])) as PumpStatePayload['inputs'],
      run: info
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
      driver: this.driver.kind,
    };
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
    const running = this.out.ignitionOn;
    if (running && !this.timers.persist) {
      const tick = () => {
        this.timers.persist = undefined;
        if (this.out.ignitionOn && !this.halted) {
          this.persist();
          this.timers.persist = this.opts.clock.setTimer(PERSIST_TICK_MS, tick);
        }
      };
      this.timers.persist = this.opts.clock.setTimer(PERSIST_TICK_MS, tick);
    }
  }

  /** 5 Hz square wave while any output is on; low otherwise (the dead-man then cuts ignition). */
  private heartbeat(): void {
    if (!this.io.hasHeartbeat()) return;
    const anyOn = Object.values(this.out).some(Boolean);
    if (anyOn && !this.timers.heartbeat) {
      const tick = () => {
        this.timers.heartbeat = undefined;
        if (this.halted || !Object.values(this.out).some(Boolean)) {
          this.hbLevel = false;
          this.io.heartbeat(false);
          return;
        }
        this.hbLevel = !this.hbLevel;
        this.io.heartbeat(this.hbLevel);
        this.timers.heartbeat = this.opts.clock.setTimer(HEARTBEAT_MS, tick);
      };
      tick();
    }
  }

  private pollInputs(): void {
    const tick = () => {
      if (this.halted) return;
      const now = this.io.readInputs();
      const cur = this.machine.currentInputs();
      for (const k of Object.keys(now) as Array<keyof typeof now>) {
        const v = now[k];
        if (v !== null && v !== cur[k]) this.machine.handle({ type: 'input', name: k, value: v });
      }
      this.timers.poll = this.opts.clock.setTimer(this.opts.config.inputPollMs, tick);
    };
    tick();
  }

  private mockWarning(): void {
    const warn = () => {
      if (this.halted) return;
      this.log.warn('GPIO driver is MOCK: PUMP WILL NOT OPERATE. No relay is switched; set pump.driver to rpio or gpiochip on the Pi');
      this.timers.mockWarn = this.opts.clock.setTimer(MOCK_WARN_MS, warn);
    };
    warn();
  }

  private async safeStop(): Promise<void> {
    const engineRan = this.out.ignitionOn || this.out.ignitionStart || this.machine.state().name === 'STOPPING';
    // Keep the run's used runtime for the restart (Safety 1). Never before start(): the machine has
    // not restored the file yet, and saving its fresh IDLE would erase a latched ERROR or a lockout.
    if (this.started) this.persist();
    this.halted = true;
    this.machine.halt();
    this.adapter.stop();
    for (const t of Object.values(this.timers)) t?.cancel();
    // Engine off and every other output off at once, then the stop pulse (PUMP.md Safety 7).
    this.io.forceAllOff();
    if (engineRan) {
      this.io.set('ignitionOff', true);
      // An output is on during the pulse, so the dead-man heartbeat keeps toggling (Safety 7).
      let hb = this.hbLevel;
      let beat: TimerHandle | undefined;
      const toggle = () => {
        hb = !hb;
        this.io.heartbeat(hb);
        beat = this.opts.clock.setTimer(HEARTBEAT_MS, toggle);
      };
      if (this.io.hasHeartbeat()) toggle();
      const ms = this.opts.config.timings.ignitionOffDuration * 1000;
      await new Promise<void>((r) => this.opts.clock.setTimer(ms, r));
      beat?.cancel();
      this.io.set('ignitionOff', false);
      this.io.heartbeat(false);
    }
    this.out = allOff();
    this.log.info('pump stopped: all outputs off', { engineRan });
    this.publishState(true);
    await this.driver.close();
  }
}
