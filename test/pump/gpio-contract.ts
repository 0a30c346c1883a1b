import { expect, it } from 'vitest';
import type { GpioDriver, Level } from '../../src/pump/gpio-driver.js';

/**
 * The ONE contract every GPIO driver runs (docs/style.md rule 4, like MQTT.js's abstract_store):
 * claim at the initial levels, write, read inputs, refuse writes after close. A harness gives
 * the test an independent view of the "hardware" behind each driver.
 */
export interface ContractHarness {
  driver: GpioDriver;
  /** Electrical level of an output as the hardware sees it (undefined if unknown yet). */
  outputLevel(pin: number): Level | undefined;
  /** Drive an input line from the outside. */
  setInput(pin: number, level: Level): void;
  cleanup(): Promise<void>;
}

const OUT = [{ pin: 18, initial: 0 as Level }, { pin: 23, initial: 1 as Level }, { pin: 24, initial: 0 as Level }];
const IN = [{ pin: 5, pull: 'down' as const }, { pin: 6, pull: 'up' as const }];

async function eventually(check: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Register the contract tests for one driver. */
export function gpioDriverContract(make: () => Promise<ContractHarness>): void {
  it('contract: open claims every output at its initial level', async () => {
    const h = await make();
    try {
      expect((await h.driver.open({ outputs: OUT, inputs: IN })).ok).toBe(true);
      await eventually(() => OUT.every((o) => h.outputLevel(o.pin) === o.initial), 'initial levels');
    } finally {
      await h.cleanup();
    }
  });

  it('contract: write drives outputs; the last write wins', async () => {
    const h = await make();
    try {
      await h.driver.open({ outputs: OUT, inputs: IN });
      expect(h.driver.write(18, 1).ok).toBe(true);
      expect(h.driver.write(23, 0).ok).toBe(true);
      expect(h.driver.write(24, 1).ok).toBe(true);
      expect(h.driver.write(24, 0).ok).toBe(true);
      await eventually(() => h.outputLevel(18) === 1 && h.outputLevel(23) === 0 && h.outputLevel(24) === 0, 'written levels');
    } finally {
      await h.cleanup();
    }
  });

  it('contract: inputs read what the line carries', async () => {
    const h = await make();
    try {
      await h.driver.open({ outputs: OUT, inputs: IN });
      h.setInput(5, 1);
      h.setInput(6, 0);
      await eventually(() => h.driver.read(5) === 1 && h.driver.read(6) === 0, 'inputs 1/0');
      h.setInput(5, 0);
      h.setInput(6, 1);
      await eventually(() => h.driver.read(5) === 0 && h.driver.read(6) === 1, 'inputs 0/1');
    } finally {
      await h.cleanup();
    }
  });

  it('contract: after close, writes fail as values (never throw)', async () => {
    const h = await make();
    try {
      await h.driver.open({ outputs: OUT, inputs: IN });
      await h.driver.close();
      const r = h.driver.write(18, 1);
      expect(r.ok).toBe(false);
    } finally {
      await h.cleanup();
    }
  });
}
