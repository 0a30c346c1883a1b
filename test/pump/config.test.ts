import { describe, expect, it } from 'vitest';
import { parsePumpConfig, pumpConfigSchema, TIMING_TABLE } from '../../src/pump/config.js';

// Config validation: ranges exactly as docs/pump.md, unique valid pins, cross-field rules, nothing clamped.

const errors = (raw: unknown): string[] => {
  const r = parsePumpConfig(raw);
  return r.ok ? [] : r.reason.split('\n');
};

describe('pump config', () => {
  it('defaults are the table of docs/pump.md and the reference pins', () => {
    const c = pumpConfigSchema.parse(undefined);
    expect(c.driver).toBeUndefined();
    expect(c.timings).toEqual(Object.fromEntries(Object.entries(TIMING_TABLE).map(([k, v]) => [k, v[0]])));
    expect(c.timings.maxEngineRuntime).toBe(1800);
    expect(c.pins.mainValve).toEqual({ pin: 18, activeLow: false });
    expect(c.pins.rpmReduce).toEqual({ pin: 27, activeLow: false });
    expect(c.pins.heartbeat).toBeNull();
    expect(c.pins.flowSensor).toBeNull();
    expect(c.crankSequence).toBe('ignition-first');
    expect(c.zones).toEqual([]);
  });

  it('accepts bare pin numbers and {pin, activeLow}', () => {
    const c = pumpConfigSchema.parse({ pins: { mainValve: 5, ignitionOn: { pin: 6, activeLow: true }, flowSensor: { pin: 12, activeLow: true } } });
    expect(c.pins.mainValve).toEqual({ pin: 5, activeLow: false });
    expect(c.pins.ignitionOn).toEqual({ pin: 6, activeLow: true });
    expect(c.pins.flowSensor).toEqual({ pin: 12, activeLow: true });
  });

  it('out-of-range values are refused with key, value and range, never clamped', () => {
    expect(errors({ driver: 'mock', timings: { fireOffDelay: 0.5 } })).toEqual([
      'pump.timings.fireOffDelay: must be within 1–86400 (silence (no trigger) before a graceful stop) (got 0.5)',
    ]);
    expect(errors({ driver: 'mock', timings: { maxStartAttempts: 2.5 } })[0]).toMatch(/^pump\.timings\.maxStartAttempts: /);
    expect(errors({ driver: 'mock', timings: { maxEngineRuntime: 2, rpmReductionLead: 1, preOpenDelay: 0, ignitionOnLeadTime: 0, ignitionStartDuration: 0.5 } })).toEqual([]);
    expect(pumpConfigSchema.parse({ driver: 'mock', timings: { maxEngineRuntime: 2, rpmReductionLead: 1, preOpenDelay: 0, ignitionOnLeadTime: 0, ignitionStartDuration: 0.5 } }).timings.maxEngineRuntime).toBe(2);
  });

  it('pins must be BCM 2–27 and unique', () => {
    expect(errors({ driver: 'mock', pins: { mainValve: 1 } })).toEqual(['pump.pins.mainValve: 1 is not a usable BCM GPIO: allowed 2–27']);
    expect(errors({ driver: 'mock', pins: { flowSensor: 28 } })).toEqual(['pump.pins.flowSensor: 28 is not a usable BCM GPIO: allowed 2–27']);
    expect(errors({ driver: 'mock', pins: { reservoirFloat: 18 } })).toEqual(['pump.pins.reservoirFloat: pin 18 is already used by pump.pins.mainValve: every pin must be unique']);
    expect(errors({ driver: 'mock', pins: { heartbeat: 24 } })).toEqual(['pump.pins.heartbeat: pin 24 is already used by pump.pins.ignitionOn: every pin must be unique']);
  });

  it('cross-field rules name both keys; the mock driver only gets the first two', () => {
    expect(errors({ driver: 'mock', timings: { rpmReductionLead: 30, maxEngineRuntime: 30 } })).toEqual([
      'pump.timings.rpmReductionLead: rpmReductionLead (30) must be less than maxEngineRuntime (30)',
    ]);
    expect(errors({ driver: 'mock', timings: { preOpenDelay: 10, ignitionOnLeadTime: 5, ignitionStartDuration: 5, maxEngineRuntime: 20, rpmReductionLead: 1 } })).toEqual([
      'pump.timings.preOpenDelay: preOpenDelay + ignitionOnLeadTime + ignitionStartDuration (20) must be less than maxEngineRuntime (20)',
    ]);
    // mock: short runs allowed
    expect(errors({ driver: 'mock', timings: { maxEngineRuntime: 30, rpmReductionLead: 5, primingDuration: 60 } })).toEqual([]);
  });

  it('real drivers (and an unset driver) also need maxEngineRuntime ≥ 60 and priming + crank ≤ max / 2', () => {
    for (const driver of ['rpio', 'gpiochip', 'auto', undefined]) {
      expect(errors({ driver, timings: { maxEngineRuntime: 30, rpmReductionLead: 5, primingDuration: 5 } })).toEqual([
        'pump.timings.maxEngineRuntime: maxEngineRuntime 30 is below 60, the minimum for real drivers (rpio, gpiochip, auto); only driver: mock allows shorter runs',
      ]);
      expect(errors({ driver, timings: { maxEngineRuntime: 300, primingDuration: 146 } })).toEqual([
        'pump.timings.primingDuration: primingDuration + ignitionStartDuration (151) must be at most maxEngineRuntime / 2 (150) with a real driver',
      ]);
    }
    expect(errors({ driver: 'rpio' })).toEqual([]); // defaults satisfy every rule
  });

  it('reports every error at once, and refuses unknown keys', () => {
    const e = errors({ driver: 'rpio', pins: { mainValve: 40, bogus: 3 }, timings: { maxEngineRuntime: 20, cooldownDuration: -1 } });
    expect(e.length).toBeGreaterThanOrEqual(4);
    expect(e.some((l) => l.startsWith('pump.pins'))).toBe(true);
    expect(e.some((l) => l.startsWith('pump.timings.cooldownDuration'))).toBe(true);
    expect(errors({ driver: 'mock', timing: {} })[0]).toMatch(/timing/);
  });
});
