import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';

// The default timeline of one trigger, edge by edge (issue 3, first test), on the real controller
// and the mock GPIO in virtual time.
describe('default timeline of one trigger', () => {
  it('default timings: valves, ignition, crank, priming close, limit reduction, stop pulse, valve delay, refill, cooldown, idle', async () => {
    const rig = await HilRig.create();
    // Boot: every output written off before anything else (Safety 1).
    expect(rig.driver.timeline.slice(0, 7).every((c) => c.level === 0 && c.t === 0)).toBe(true);
    rig.trigger();
    rig.advanceTo(9100);
    const e = rig.edges().map((x) => `${x.t}:${x.role}:${x.on ? 1 : 0}`);
    expect(e).toEqual([
      '0:mainValve:1',
      '0:refillValve:1',
      '0:primingValve:1',
      '2:ignitionOn:1', // preOpenDelay
      '2.5:ignitionStart:1', // ignitionOnLeadTime
      '7.5:ignitionStart:0', // crank pulse 5 s; E = 7.5
      '187.5:primingValve:0', // E + primingDuration
      '1787:rpmReduce:1', // I + maxEngineRuntime − rpmReductionLead (before fire-off at 1800)
      '1802:ignitionOn:0', // I + maxEngineRuntime
      '1802:rpmReduce:0',
      '1802:ignitionOff:1',
      '1807:ignitionOff:0', // ignitionOffDuration
      '2402:mainValve:0', // engine stop + valveCloseDelay
      '9007:refillValve:0', // lockout min(1800 × 40, 7200)
    ]);
    expect(rig.transitions().map((t) => t.split(':')[0])).toEqual([
      'IDLE>PRIMING',
      'PRIMING>STARTING',
      'STARTING>RUNNING',
      'RUNNING>REDUCING_RPM',
      'REDUCING_RPM>STOPPING',
      'STOPPING>REFILLING',
      'REFILLING>COOLDOWN',
      'COOLDOWN>IDLE',
    ]);
    expect(rig.state()).toBe('IDLE');
    const idleAt = rig.eventsNamed('transition').at(-1);
    expect(idleAt?.reason).toBe('cooldown_complete');
    const m = rig.controller.metrics();
    expect(m.runs_total).toBe(1);
    expect(m.runtime_seconds_total).toBeCloseTo(1800, 6);
  });

  it('graceful fire-off path: reduction, stop pulse, refill runtime × multiplier, cooldown', async () => {
    const rig = await HilRig.create({ pump: { timings: { fireOffDelay: 60, primingDuration: 20, valveCloseDelay: 30, refillMultiplier: 2, cooldownDuration: 10 } } });
    rig.trigger();
    rig.advanceTo(400);
    const e = rig.edges().map((x) => `${x.t}:${x.role}:${x.on ? 1 : 0}`);
    // runtime = 65 − 2 = 63 s → lockout 126 s from the end of the pulse (70) → 196; cooldown → 206
    expect(e).toEqual([
      '0:mainValve:1', '0:refillValve:1', '0:primingValve:1', '2:ignitionOn:1', '2.5:ignitionStart:1', '7.5:ignitionStart:0',
      '27.5:primingValve:0', '60:rpmReduce:1', '65:ignitionOn:0', '65:rpmReduce:0', '65:ignitionOff:1', '70:ignitionOff:0',
      '95:mainValve:0', '196:refillValve:0',
    ]);
    expect(rig.transitions().at(-1)).toBe('COOLDOWN>IDLE:cooldown_complete');
    expect(rig.eventsNamed('transition').find((t) => t.to === 'IDLE')).toBeDefined();
    // State payloads: one per transition and output change; the crank pulse is visible.
    expect(rig.states.some((s) => s.outputs.ignitionStart)).toBe(true);
    expect(rig.states.at(-1)?.state).toBe('IDLE');
  });
});
