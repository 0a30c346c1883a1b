import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fail, ok, type Result } from '../core/result.js';
import type { GpioDriver, GpioOpenSpec, Level } from './gpio-driver.js';

/** The part of rpio's API we use (rpio ships no types). */
interface RpioModule {
  init(opts: Record<string, unknown>): void;
  open(pin: number, mode: number, init?: number): void;
  write(pin: number, value: number): void;
  read(pin: number): number;
  close(pin: number, reset?: number): void;
  on(ev: 'warn', fn: (msg: string) => void): void;
  removeListener(ev: 'warn', fn: (msg: string) => void): void;
  INPUT: number;
  OUTPUT: number;
  PULL_UP: number;
  PULL_DOWN: number;
  PIN_RESET: number;
  PIN_PRESERVE: number;
}

/** Options of {@link RpioGpioDriver}. */
export interface RpioGpioOptions {
  /**
   * rpio's own mock board (`'raspi-3'`, `'raspi-4'`…). Tests only: the real rpio code path runs
   * without hardware. Production leaves it unset (`mock: false`).
   */
  rpioMock?: string;
  /** Device that must exist in production (default `/dev/gpiomem`). */
  gpiomemPath?: string;
  /** Module loader (tests inject a broken one). */
  load?: () => RpioModule;
}

/**
 * rpio driver for Raspberry Pi ≤ 4 (docs/pump.md "GPIO drivers"): `/dev/gpiomem`, BCM numbering
 * (`mapping: 'gpio'`), `mock: false`. rpio silently switches to its mock mode when it cannot detect a
 * Pi ("Hardware auto-detect failed"); we listen for that warning and refuse instead, because a
 * silently mocked pump driver means a fire with no water.
 */
export class RpioGpioDriver implements GpioDriver {
  readonly kind = 'rpio' as const;
  private rpio: RpioModule | undefined;
  private outputs: number[] = [];
  private inputs: number[] = [];
  onFault?: (reason: string) => void;
  /** Errors while releasing pins (diagnostics; closing never throws). */
  readonly closeErrors: string[] = [];

  constructor(private readonly opts: RpioGpioOptions = {}) {}

  async open(spec: GpioOpenSpec): Promise<Result<void>> {
    const mockBoard = this.opts.rpioMock;
    const gpiomem = this.opts.gpiomemPath ?? '/dev/gpiomem';
    if (!mockBoard && !existsSync(gpiomem)) {
      return fail(`rpio driver: ${gpiomem} not found, so this is not a Raspberry Pi ≤ 4 with GPIO access; the pump cannot operate. Fix: run on the Pi (user in group gpio), or use driver: gpiochip on a Pi 5`);
    }
    let rpio: RpioModule;
    try {
      rpio = (this.opts.load ?? defaultLoad)();
    } catch (err) {
      return fail(`rpio driver: cannot load the rpio module (${(err as Error).message}); the pump cannot operate. Fix: npm install rpio on the Pi (it builds a native addon)`);
    }
    const warnings: string[] = [];
    const onWarn = (msg: string) => warnings.push(msg);
    rpio.on('warn', onWarn);
    try {
      rpio.init({ gpiomem: true, mapping: 'gpio', mock: mockBoard ?? false, close_on_exit: false });
    } catch (err) {
      return fail(`rpio driver: init failed (${(err as Error).message}); the pump cannot operate`);
    } finally {
      rpio.removeListener('warn', onWarn);
    }
    const fellBack = warnings.find((w) => /mock/i.test(w));
    if (!mockBoard && fellBack) {
      return fail(`rpio driver: rpio fell back to its mock mode ("${fellBack}"); refusing, the pump would not operate. Fix: check /proc/cpuinfo and /dev/gpiomem, or use driver: gpiochip on a Pi 5`);
    }
    try {
      for (const o of spec.outputs) {
        rpio.open(o.pin, rpio.OUTPUT, o.initial);
        this.outputs.push(o.pin);
      }
      for (const i of spec.inputs) {
        rpio.open(i.pin, rpio.INPUT, i.pull === 'up' ? rpio.PULL_UP : rpio.PULL_DOWN);
        this.inputs.push(i.pin);
      }
    } catch (err) {
      return fail(`rpio driver: cannot claim pins (${(err as Error).message})`);
    }
    this.rpio = rpio;
    return ok(undefined);
  }

  write(pin: number, level: Level): Result<void> {
    if (!this.rpio) return fail('rpio driver not open');
    try {
      this.rpio.write(pin, level);
      return ok(undefined);
    } catch (err) {
      return fail(`rpio write ${pin}=${level} failed: ${(err as Error).message}`);
    }
  }

  read(pin: number): Level {
    return this.rpio?.read(pin) ? 1 : 0;
  }

  async close(): Promise<void> {
    const rpio = this.rpio;
    this.rpio = undefined;
    if (!rpio) return;
    // Outputs keep the OFF level the controller wrote last (PIN_PRESERVE): turning them back into
    // inputs would let an active-low relay board see a pulled-down pin and switch ON.
    for (const [pins, mode] of [[this.outputs, rpio.PIN_PRESERVE], [this.inputs, rpio.PIN_RESET]] as const) {
      for (const p of pins) {
        try {
          rpio.close(p, mode);
        } catch (err) {
          this.closeErrors.push(`${p}: ${(err as Error).message}`); // best effort: outputs were already written off
        }
      }
    }
    this.outputs = [];
    this.inputs = [];
  }
}

function defaultLoad(): RpioModule {
  // rpio is an optional native dependency (built on the Pi); load it lazily so other drivers work without it.
  return createRequire(import.meta.url)('rpio') as RpioModule;
}
