import { existsSync, readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { fail, ok, type Result } from '../core/result.js';
import { ChipGpioDriver, type ChipGpioOptions } from './gpio-chip.js';
import type { GpioDriver } from './gpio-driver.js';
import { MockGpioDriver, type MockGpioOptions } from './gpio-mock.js';
import { RpioGpioDriver, type RpioGpioOptions } from './gpio-rpio.js';

/** Options of {@link createGpioDriver}. */
export interface CreateGpioDriverOptions {
  driver: 'rpio' | 'gpiochip' | 'mock' | 'auto';
  clock: Clock;
  /** Device-tree model file read by `auto` (default `/proc/device-tree/model`). */
  modelPath?: string;
  rpio?: RpioGpioOptions;
  chip?: ChipGpioOptions;
  mock?: Omit<MockGpioOptions, 'clock'>;
}

/** Which real driver a device-tree model string needs, or null when it is not a Raspberry Pi. */
export function driverForModel(model: string): 'rpio' | 'gpiochip' | null {
  if (!/Raspberry Pi/i.test(model)) return null;
  // The Pi 5 family (RP1 south bridge) has no BCM283x GPIO block for rpio to map.
  return /Raspberry Pi (5|500|Compute Module 5)\b/i.test(model) ? 'gpiochip' : 'rpio';
}

/**
 * Build the configured driver. `auto` reads the device-tree model and picks rpio (Pi ≤ 4) or
 * gpiochip (Pi 5); anywhere else it refuses rather than guess: mock must be chosen explicitly, so a
 * Pi whose model file cannot be read never ends up silently mocked (docs/pump.md "GPIO drivers").
 */
export function createGpioDriver(o: CreateGpioDriverOptions): Result<GpioDriver> {
  let kind = o.driver;
  if (kind === 'auto') {
    const path = o.modelPath ?? '/proc/device-tree/model';
    const model = existsSync(path) ? readFileSync(path, 'utf8').replace(/\0/g, '').trim() : '';
    const picked = driverForModel(model);
    if (!picked) {
      return fail(`pump.driver auto: ${model ? `"${model}" is not a Raspberry Pi` : `${path} not found`}, so no GPIO driver was chosen. Fix: set pump.driver to rpio or gpiochip on a Pi, or mock for development (the pump will not operate)`);
    }
    kind = picked;
  }
  switch (kind) {
    case 'rpio':
      return ok(new RpioGpioDriver(o.rpio));
    case 'gpiochip':
      return ok(new ChipGpioDriver(o.chip));
    default:
      return ok(new MockGpioDriver({ clock: o.clock, ...o.mock }));
  }
}
