import type { Clock } from '../core/clock.js';
import { fail, ok, type Result } from '../core/result.js';
import type { GpioDriver, GpioOpenSpec, Level } from './gpio-driver.js';

/** One recorded level change of the mock driver. */
export interface PinChange {
  /** Monotonic ms from the injected clock. */
  t: number;
  pin: number;
  level: Level;
  /** `output` writes by the controller, `input` changes made by a test or the HIL script. */
  kind: 'output' | 'input';
}

/** Options of {@link MockGpioDriver}. */
export interface MockGpioOptions {
  clock: Clock;
  /** Called for every recorded change (the SIGTERM fixture streams the timeline to a file). */
  onChange?: (c: PinChange) => void;
}

/**
 * Pure in-memory GPIO (docs/pump.md "GPIO drivers": mock). Records every level change with a timestamp
 * from the injected clock, exposes the current levels and the timeline, and lets tests drive
 * inputs. An unset input reads its pull, like a broken wire on the real board.
 */
export class MockGpioDriver implements GpioDriver {
  readonly kind = 'mock' as const;
  /** Every level change, in order. */
  readonly timeline: PinChange[] = [];
  private readonly levelsByPin = new Map<number, Level>();
  private readonly outputs = new Set<number>();
  private readonly inputs = new Map<number, 'up' | 'down'>();
  private failing = new Set<number>();
  private opened = false;
  onFault?: (reason: string) => void;

  constructor(private readonly opts: MockGpioOptions) {}

  async open(spec: GpioOpenSpec): Promise<Result<void>> {
    for (const o of spec.outputs) {
      this.outputs.add(o.pin);
      this.record(o.pin, o.initial, 'output', true);
    }
    for (const i of spec.inputs) {
      this.inputs.set(i.pin, i.pull);
      if (!this.levelsByPin.has(i.pin)) this.levelsByPin.set(i.pin, i.pull === 'up' ? 1 : 0);
    }
    this.opened = true;
    return ok(undefined);
  }

  write(pin: number, level: Level): Result<void> {
    if (!this.opened || !this.outputs.has(pin)) return fail(`pin ${pin} is not an opened output`);
    if (this.failing.has(pin)) return fail(`simulated write failure on pin ${pin}`);
    this.record(pin, level, 'output');
    return ok(undefined);
  }

  read(pin: number): Level {
    return this.levelsByPin.get(pin) ?? (this.inputs.get(pin) === 'up' ? 1 : 0);
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  // ---- test hooks ----

  /** Drive an input to an electrical level (a sensor changing, a button press). */
  setInput(pin: number, level: Level): void {
    this.record(pin, level, 'input');
  }
  /** Make writes to `pin` fail (fault injection), or heal it. */
  failWrites(pin: number, failing = true): void {
    if (failing) this.failing.add(pin);
    else this.failing.delete(pin);
  }
  /** Simulate the driver dying after open. */
  die(reason: string): void {
    this.onFault?.(reason);
  }
  /** Current electrical level of any pin (undefined if never set). */
  level(pin: number): Level | undefined {
    return this.levelsByPin.get(pin);
  }
  /** All current levels. */
  levels(): Record<number, Level> {
    return Object.fromEntries(this.levelsByPin);
  }

  private record(pin: number, level: Level, kind: PinChange['kind'], force = false): void {
    if (!force && this.levelsByPin.get(pin) === level) return;
    this.levelsByPin.set(pin, level);
    const c: PinChange = { t: this.opts.clock.now(), pin, level, kind };
    this.timeline.push(c);
    this.opts.onChange?.(c);
  }
}
