import type { Result } from '../core/result.js';

/**
 * The one GPIO driver interface (docs/style.md rule 4; docs/pump.md "GPIO drivers"). Drivers speak BCM
 * numbers and ELECTRICAL levels; polarity (`activeLow`) and logical roles live in pin-io.ts, so a
 * driver never needs to know what a pin is for. Every implementation runs the shared contract suite
 * in test/pump/gpio-contract.ts.
 */

/** Electrical level. */
export type Level = 0 | 1;

/** Pins to claim. Outputs are driven to `initial` as they are claimed (the boot rule: off first). */
export interface GpioOpenSpec {
  outputs: Array<{ pin: number; initial: Level }>;
  /** `pull` is chosen so a broken wire reads the unsafe logical value (pin-io.ts decides). */
  inputs: Array<{ pin: number; pull: 'up' | 'down' }>;
}

/** Implemented by `mock`, `rpio` and `gpiochip`. */
export interface GpioDriver {
  /** Which implementation (appears as `driver` in the state payload). */
  readonly kind: 'mock' | 'rpio' | 'gpiochip';
  /** Claim the pins. Fails (as a value) when the hardware is missing, never falls back to mock. */
  open(spec: GpioOpenSpec): Promise<Result<void>>;
  /** Drive an output. `ok: false` when the level could not be written (the controller latches ERROR). */
  write(pin: number, level: Level): Result<void>;
  /** Current level of an input (the gpiochip driver returns its latest sample). */
  read(pin: number): Level;
  /** Release every pin. The controller writes all-off before calling this. */
  close(): Promise<void>;
  /**
   * Called when the driver fails after `open` (the helper process died, the device vanished):
   * outputs can no longer be trusted. Set by the controller.
   */
  onFault?: (reason: string) => void;
}
