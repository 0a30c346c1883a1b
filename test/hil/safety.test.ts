import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { memoryLogger } from '../../src/log/logger.js';
import { fast, intervals, valveFirstViolation } from './fast-profile.js';

// Each safety rule of docs/pump.md as its own hardware-in-loop test: real controller, mock GPIO pins,
// virtual time. Expected instants come from the FAST profile documented in fast-profile.ts.

const on = (rig: HilRig) => Object.entries(rig.outputs()).filter(([, v]) => v).map(([k]) => k).sort();

describe('Safety 1: boot', () => {
  it('drives every output (and the heartbeat) to its OFF level before anything else, active-low included', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { mainValve: { pin: 18, activeLow: true }, heartbeat: 4 } }), noStart: true });
    const first = rig.driver.timeline.slice(0, 8);
    expect(first.map((c) => c.pin).sort((a, b) => a - b)).toEqual([4, 18, 22, 23, 24, 25, 26, 27]);
    expect(first.find((c) => c.pin === 18)?.level).toBe(1); // active-low relay: electrical high = off
    expect(first.filter((c) => c.pin !== 18).every((c) => c.level === 0)).toBe(true);
    expect(on(rig)).toEqual([]);
  });
});

describe('Safety 2: valve first', () => {
  it('ignition on and crank only while the main valve is on, over a whole cycle', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(120);
    expect(rig.edges().length).toBeGreaterThan(10);
    expect(valveFirstViolation(rig.edges())).toBeNull();
  });

  it('the crank pulse lasts exactly ignitionStartDuration', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(120);
    expect(intervals(rig.edges(), 'ignitionStart')).toEqual([[2.5, 3.5]]);
  });

  it('main valve feedback disagreeing at the end of preOpenDelay → ERROR, ignition and crank never on', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { mainValveFeedback: 17 } }) });
    rig.trigger(); // feedback input reads its pull (off): the relay did not pull in
    rig.advanceTo(10);
    expect(rig.state()).toBe('ERROR');
    expect(rig.controller.snapshot().state.error).toBe('main_valve_not_confirmed');
    expect(rig.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
    expect(on(rig)).toEqual([]);
  });

  it('main valve feedback agreeing → normal start', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { mainValveFeedback: 17 } }) });
    rig.trigger();
    rig.setInput('mainValveFeedback', true);
    rig.advanceTo(5);
    expect(rig.state()).toBe('RUNNING');
  });

  it('a failed main valve write latches ERROR with every output off', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.driver.failWrites(18);
    rig.trigger();
    rig.advanceTo(10);
    expect(rig.state()).toBe('ERROR');
    expect(rig.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
    expect(on(rig)).toEqual([]);
  });

  it('crank-first wiring: the crank still needs the main valve, ignition rises after the crank falls', async () => {
    const rig = await HilRig.create({ pump: fast({}, { crankSequence: 'crank-first' }) });
    rig.trigger();
    rig.advanceTo(10);
    expect(intervals(rig.edges(), 'ignitionStart')).toEqual([[2, 3]]);
    expect(intervals(rig.edges(), 'ignitionOn')[0][0]).toBe(3);
    expect(valveFirstViolation(rig.edges())).toBeNull();
  });
});

describe('Safety 3: hard limit', () => {
  it('triggers every second never hold ignition past I + maxEngineRuntime; the limit stop cannot be cancelled', async () => {
    const rig = await HilRig.create({ pump: fast() });
    for (let t = 0; t < 100; t++) {
      rig.advanceTo(t);
      rig.trigger();
    }
    rig.advanceTo(100);
    expect(intervals(rig.edges(), 'rpmReduce')).toEqual([[57, 62]]);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, 62]]);
    expect(rig.eventsNamed('trigger_refused').some((e) => e.reason === 'limit_stop')).toBe(true);
    expect(rig.eventsNamed('trigger_refused').some((e) => e.reason === 'trigger_blocked_refilling')).toBe(true);
    expect(rig.state()).toBe('REFILLING');
  });

  it('R9: start while running neither re-cranks nor moves the limit', async () => {
    const rig = await HilRig.create({ pump: fast({ fireOffDelay: 1000 }) });
    rig.trigger();
    rig.advanceTo(20);
    expect(rig.command('start')).toEqual({ accepted: true, reason: 'already_running' });
    rig.advanceTo(100);
    expect(intervals(rig.edges(), 'ignitionStart')).toEqual([[2.5, 3.5]]);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, 62]]);
  });
});

describe('Safety 4: dry run', () => {
  // startConfirmSeconds long enough that the dry-run rule, not start confirmation, acts first.
  const pump = fast({ startConfirmSeconds: 60 }, { pins: { flowSensor: 12 } });

  it('no flow for maxDryRunTime after priming stops the engine and latches ERROR', async () => {
    const rig = await HilRig.create({ pump });
    rig.trigger();
    rig.advanceTo(60);
    // priming ends 8.5; trip at 28.5; stop pulse 28.5–29.5; then ERROR, all off.
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, 28.5]]);
    expect(intervals(rig.edges(), 'ignitionOff')).toEqual([[28.5, 29.5]]);
    expect(rig.state()).toBe('ERROR');
    expect(rig.controller.snapshot().state.error).toBe('dry_run');
    expect(on(rig)).toEqual([]);
    expect(rig.controller.metrics().dry_run_trips_total).toBe(1);
  });

  it('R5: still active on the second and third runs (reset in between)', async () => {
    const rig = await HilRig.create({ pump });
    for (let run = 0; run < 3; run++) {
      const t0 = run * 100;
      rig.advanceTo(t0);
      if (run > 0) expect(rig.command('reset').accepted).toBe(true);
      rig.trigger();
      rig.advanceTo(t0 + 60);
      expect(rig.state()).toBe('ERROR');
      expect(intervals(rig.edges(), 'ignitionOn')[run]).toEqual([t0 + 2, t0 + 28.5]);
    }
    expect(rig.controller.metrics().dry_run_trips_total).toBe(3);
  });

  it('monitoring is continuous: flow seen, then lost for maxDryRunTime, still trips', async () => {
    const rig = await HilRig.create({ pump: fast({ fireOffDelay: 1000, maxEngineRuntime: 500 }, { pins: { flowSensor: 12 } }) });
    rig.trigger();
    rig.setInput('flowSensor', true);
    rig.advanceTo(40);
    expect(rig.state()).toBe('RUNNING');
    rig.setInput('flowSensor', false);
    rig.advanceTo(59.9);
    expect(rig.state()).toBe('RUNNING');
    rig.advanceTo(61);
    expect(rig.state()).toBe('STOPPING');
    expect(intervals(rig.edges(), 'ignitionOn')[0][1]).toBeCloseTo(60.05, 6); // seen at the next 50 ms poll
  });
});

describe('Safety 5: line pressure', () => {
  const pump = fast({ fireOffDelay: 1000, maxEngineRuntime: 500 }, { pins: { linePressure: 6, flowSensor: 12 } });

  it('low for lowPressureGrace after priming → stop, ERROR', async () => {
    const rig = await HilRig.create({ pump });
    rig.setInput('linePressure', true);
    rig.setInput('flowSensor', true);
    rig.trigger();
    rig.advanceTo(15);
    rig.setInput('linePressure', false);
    rig.advanceTo(30);
    expect(intervals(rig.edges(), 'ignitionOn')[0][1]).toBeCloseTo(18.05, 6);
    expect(rig.state()).toBe('ERROR');
    expect(rig.controller.snapshot().state.error).toBe('low_pressure');
  });

  it('a dip shorter than the grace does not stop the pump', async () => {
    const rig = await HilRig.create({ pump });
    rig.setInput('linePressure', true);
    rig.setInput('flowSensor', true);
    rig.trigger();
    rig.advanceTo(15);
    rig.setInput('linePressure', false);
    rig.advanceTo(17);
    rig.setInput('linePressure', true);
    rig.advanceTo(40);
    expect(rig.state()).toBe('RUNNING');
  });
});

describe('Safety 6: refill lockout, operator hold, disarm', () => {
  it('a trigger during REFILLING is refused loudly with no output change', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(50);
    expect(rig.state()).toBe('REFILLING');
    const before = rig.edges().length;
    rig.trigger();
    rig.advanceTo(51);
    expect(rig.edges().length).toBe(before);
    expect(rig.eventsNamed('trigger_refused').at(-1)?.reason).toBe('trigger_blocked_refilling');
    expect(rig.controller.metrics().refused_triggers_total).toMatchObject({ trigger_blocked_refilling: 1 });
  });

  it('R4: a manual start during the lockout bypasses it, and the new run still honours fire-off and the limit', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(50);
    expect(rig.command('start').accepted).toBe(true);
    rig.advanceTo(200); // run 2: I = 52; fire-off from 50 → RPM 80, IO off 82
    expect(intervals(rig.edges(), 'ignitionOn')[1]).toEqual([52, 82]);
    // and with triggers every second it stops at I + 60
    rig.advanceTo(300);
    rig.command('reset');
    rig.advanceTo(310);
    for (let t = 310; t < 400; t++) {
      rig.advanceTo(t);
      rig.trigger();
    }
    const ivs = intervals(rig.edges(), 'ignitionOn');
    expect(ivs.at(-1)).toEqual([312, 372]);
  });

  it('R4 (reset): reset ends the lockout; the next run stops at fire-off', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(50);
    expect(rig.command('reset').accepted).toBe(true);
    expect(rig.state()).toBe('COOLDOWN');
    rig.advanceTo(60);
    rig.trigger(); // → I = 62, fire-off from 60 → RPM at 90, IO off 92
    rig.advanceTo(200);
    expect(intervals(rig.edges(), 'ignitionOn')[1]).toEqual([62, 92]);
  });

  it('operator stop: engine stop pulse, COOLDOWN, then automatic triggers refused during the hold; manual start works', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(10);
    expect(rig.command('stop').accepted).toBe(true);
    rig.advanceTo(11.5);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, 10]]);
    expect(intervals(rig.edges(), 'ignitionOff')).toEqual([[10, 11]]);
    expect(rig.state()).toBe('COOLDOWN');
    rig.advanceTo(30);
    rig.trigger();
    expect(rig.eventsNamed('trigger_refused').at(-1)?.reason).toBe('operator_hold');
    expect(rig.controller.snapshot().state.holdRemainingS).toBeCloseTo(80, 6);
    expect(rig.state()).toBe('IDLE');
    rig.advanceTo(111); // hold (100 s from t=10) over
    rig.trigger();
    expect(rig.state()).toBe('PRIMING');
  });

  it('reset clears the operator hold', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.command('stop');
    rig.trigger();
    expect(rig.state()).toBe('IDLE');
    rig.command('reset');
    rig.trigger();
    expect(rig.state()).toBe('PRIMING');
  });

  it('disarmed: automatic triggers refused; manual start still works; arm restores triggers', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.command('disarm');
    expect(rig.controller.snapshot().state.armed).toBe(false);
    rig.trigger();
    expect(rig.state()).toBe('IDLE');
    expect(rig.eventsNamed('trigger_refused').at(-1)?.reason).toBe('disarmed');
    rig.command('start');
    expect(rig.state()).toBe('PRIMING');
    rig.command('stop');
    rig.command('reset');
    rig.command('arm');
    rig.advanceTo(20);
    rig.trigger();
    expect(rig.state()).toBe('PRIMING');
  });

  it('R8: emergency stop during refill keeps refilling with its timer and never leaves a silent lockout', async () => {
    const rig = await HilRig.create({ pump: fast({ operatorHoldSeconds: 0 }) });
    rig.trigger();
    rig.advanceTo(50);
    expect(rig.command('stop').accepted).toBe(true);
    expect(rig.state()).toBe('REFILLING');
    expect(rig.controller.snapshot().state.lockoutRemainingS).toBeCloseTo(43, 6);
    rig.advanceTo(99);
    expect(rig.state()).toBe('IDLE'); // lockout ended by itself at 93, cooldown until 98
    rig.trigger();
    expect(rig.state()).toBe('PRIMING');
  });
});

describe('reference defects that must not happen here', () => {
  it('R1: no stale cooldown timer ends a new run', async () => {
    const rig = await HilRig.create({ pump: fast({ fireOffDelay: 100, maxEngineRuntime: 200 }) });
    rig.trigger();
    rig.advanceTo(94); // run 1: IO 2–102 ... use reset to reach COOLDOWN early instead
    rig.command('stop'); // → STOPPING → COOLDOWN at 95, cooldown until max(100, 104)
    rig.command('reset'); // clear the hold so the trigger is automatic
    rig.advanceTo(96);
    expect(rig.state()).toBe('COOLDOWN');
    rig.trigger(); // new run from COOLDOWN
    rig.advanceTo(130); // past every deadline of the old COOLDOWN
    expect(rig.state()).toBe('RUNNING');
    expect(rig.outputs().ignitionOn).toBe(true);
    expect(rig.outputs().mainValve).toBe(true);
  });

  it('R2 + R3: after a float-ended refill, the main valve stays open under a new run and the run stops at fire-off and at the limit', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { reservoirFloat: 5 } }) });
    rig.trigger();
    rig.advanceTo(35);
    rig.setInput('reservoirFloat', true); // tank full: REFILLING → COOLDOWN, MV close still due at 42
    rig.advanceTo(36);
    expect(rig.state()).toBe('COOLDOWN');
    rig.setInput('reservoirFloat', false);
    rig.advanceTo(37);
    rig.trigger(); // new run before the old MV-close deadline
    rig.advanceTo(70);
    // The old close deadline (42) passed under the new run: the valve never closed.
    expect(intervals(rig.edges(), 'mainValve')).toEqual([[0, Infinity]]);
    expect(intervals(rig.edges(), 'ignitionOn')[1]).toEqual([39, 69]); // fire-off from 37
    rig.advanceTo(80);
    expect(intervals(rig.edges(), 'mainValve')).toEqual([[0, 79]]); // engine stop 69 + valveCloseDelay
    expect(valveFirstViolation(rig.edges())).toBeNull();
    // and the next run, triggered continuously, stops at its limit
    rig.advanceTo(200);
    rig.command('reset');
    for (let t = 200; t < 300; t++) {
      rig.advanceTo(t);
      rig.trigger();
    }
    expect(intervals(rig.edges(), 'ignitionOn').at(-1)).toEqual([202, 262]);
  });

  it('R4 (stop): after an emergency stop, the next run honours fire-off and, with continuous triggers, the limit', async () => {
    const rig = await HilRig.create({ pump: fast({ operatorHoldSeconds: 0 }) });
    rig.trigger();
    rig.advanceTo(10);
    rig.command('stop'); // IO off at 10, pulse 10–11, COOLDOWN
    rig.advanceTo(12);
    rig.trigger(); // run 2: I = 14, fire-off from 12 → RPM 42, IO off 44
    rig.advanceTo(60);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, 10], [14, 44]]);
    rig.command('stop');
    rig.command('reset');
    rig.advanceTo(100);
    for (let t = 100; t < 200; t++) {
      rig.advanceTo(t);
      rig.trigger(); // run 3: I = 102 → limit at 162 despite the triggers
    }
    expect(intervals(rig.edges(), 'ignitionOn').at(-1)).toEqual([102, 162]);
  });

  it('R6: a trigger during a graceful reduction returns to RUNNING for a full fire-off delay', async () => {
    const rig = await HilRig.create({ pump: fast({ maxEngineRuntime: 200 }) });
    rig.trigger();
    rig.advanceTo(31);
    expect(rig.state()).toBe('REDUCING_RPM');
    rig.trigger();
    expect(rig.state()).toBe('RUNNING');
    rig.advanceTo(100);
    expect(intervals(rig.edges(), 'rpmReduce')).toEqual([[30, 31], [61, 63]]);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, 63]]);
  });

  it('trigger during COOLDOWN restarts the pump at once', async () => {
    const rig = await HilRig.create({ pump: fast({ refillMultiplier: 0 }) });
    rig.trigger();
    rig.advanceTo(34);
    expect(rig.state()).toBe('COOLDOWN');
    rig.trigger();
    expect(rig.state()).toBe('PRIMING');
    expect(rig.outputs().mainValve).toBe(true);
    rig.advanceTo(40);
    expect(rig.state()).toBe('RUNNING');
  });

  it('R10: {"command":"stop"} is honoured (see commands tests for MQTT), ERROR refuses triggers and start until reset', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { flowSensor: 12 } }) });
    rig.trigger();
    rig.advanceTo(40);
    expect(rig.state()).toBe('ERROR');
    rig.trigger();
    expect(rig.eventsNamed('trigger_refused').at(-1)?.reason).toBe('error_latched');
    expect(rig.command('start').accepted).toBe(false);
    expect(on(rig)).toEqual([]);
    rig.command('reset');
    expect(rig.state()).toBe('IDLE');
  });
});

describe('sensors, start confirmation, manual valve, heartbeat, mock warning', () => {
  it('the float closes the refill valve whenever the tank is full, even while running', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { reservoirFloat: 5 } }) });
    rig.trigger();
    rig.advanceTo(10);
    rig.setInput('reservoirFloat', true);
    rig.advanceTo(11);
    expect(rig.outputs().refillValve).toBe(false);
    expect(rig.state()).toBe('RUNNING');
  });

  it('a tank already full when the refill starts ends the refill at once (no float edge needed)', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { reservoirFloat: 5 } }) });
    rig.trigger();
    rig.advanceTo(10);
    rig.setInput('reservoirFloat', true);
    rig.advanceTo(40);
    expect(rig.transitions().slice(-2)).toEqual(['STOPPING>REFILLING:fire_off', 'REFILLING>COOLDOWN:float_full']);
    expect(rig.state()).toBe('COOLDOWN');
    expect(rig.outputs().mainValve).toBe(true); // valve delay still honoured: closes at 42
    rig.advanceTo(43);
    expect(rig.outputs().mainValve).toBe(false);
  });

  it('start confirmation: engine never seen running → maxStartAttempts cranks, then ERROR', async () => {
    const rig = await HilRig.create({ pump: fast({ maxStartAttempts: 3 }, { pins: { engineRunning: 13 } }) });
    rig.trigger();
    rig.advanceTo(40);
    expect(intervals(rig.edges(), 'ignitionStart')).toEqual([[2.5, 3.5], [8.5, 9.5], [14.5, 15.5]]);
    expect(rig.state()).toBe('ERROR');
    expect(rig.controller.snapshot().state.error).toBe('start_failed');
  });

  it('start confirmation: engine seen running → one crank only', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { engineRunning: 13 } }) });
    rig.trigger();
    rig.advanceTo(3);
    rig.setInput('engineRunning', true);
    rig.advanceTo(25);
    expect(intervals(rig.edges(), 'ignitionStart')).toEqual([[2.5, 3.5]]);
    expect(rig.state()).toBe('RUNNING');
  });

  it('manual valve: valve_open opens only the main valve and closes itself; valve_close refused while the engine runs', async () => {
    const rig = await HilRig.create({ pump: fast() });
    expect(rig.command('valve_open').accepted).toBe(true);
    expect(on(rig)).toEqual(['mainValve']);
    rig.advanceTo(31);
    expect(on(rig)).toEqual([]);
    rig.trigger();
    rig.advanceTo(10);
    expect(rig.command('valve_close')).toEqual({ accepted: false, reason: 'engine_running: stop first' });
  });

  it('emergency button: a press is a manual start, held or bounced presses count once', async () => {
    const rig = await HilRig.create({ pump: fast(), });
    const r2 = await HilRig.create({ pump: fast({}, { pins: { emergencyButton: 16 } }) });
    expect(rig.state()).toBe('IDLE');
    r2.setInput('emergencyButton', true);
    r2.advanceTo(0.1);
    expect(r2.state()).toBe('PRIMING');
    r2.command('stop');
    r2.setInput('emergencyButton', false);
    r2.advanceTo(0.3);
    r2.setInput('emergencyButton', true); // bounce within 1 s
    r2.advanceTo(0.5);
    expect(r2.state()).toBe('COOLDOWN');
    expect(r2.eventsNamed('command_accepted').filter((e) => e.source === 'button')).toHaveLength(1);
  });

  it('a button already held at boot does nothing until released and pressed again (scenario 42)', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { emergencyButton: { pin: 16, activeLow: true } } }), inputs: { emergencyButton: true } });
    rig.advanceTo(5);
    expect(rig.state()).toBe('IDLE');
    rig.setInput('emergencyButton', false);
    rig.advanceTo(6);
    rig.setInput('emergencyButton', true);
    rig.advanceTo(6.1);
    expect(rig.state()).toBe('PRIMING');
  });

  it('heartbeat: 5 Hz square wave while any output is on, low when all are off', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { heartbeat: 4 } }) });
    rig.advanceTo(5);
    expect(rig.edges(['heartbeat'])).toEqual([]);
    rig.trigger();
    rig.advanceTo(110);
    const hb = rig.edges(['heartbeat']);
    const inSecond = hb.filter((e) => e.t >= 20 && e.t < 21);
    expect(inSecond).toHaveLength(10); // toggles every 100 ms = 5 full periods a second
    expect(rig.state()).toBe('IDLE');
    expect(rig.on('heartbeat')).toBe(false);
    expect(hb.at(-1)?.t).toBeLessThanOrEqual(98.1);
  });

  it('heartbeat keeps beating through the exit stop pulse, then stops low', async () => {
    const rig = await HilRig.create({ pump: fast({}, { pins: { heartbeat: 4 } }) });
    rig.trigger();
    rig.advanceTo(10);
    await rig.stop(); // stop pulse 10–11
    const during = rig.edges(['heartbeat']).filter((e) => e.t >= 10 && e.t < 11);
    expect(during.length).toBeGreaterThanOrEqual(9);
    expect(intervals(rig.edges(), 'ignitionOff')).toEqual([[10, 11]]);
    expect(rig.on('heartbeat')).toBe(false);
  });

  it('mock driver: a loud warning every minute', async () => {
    const logger = memoryLogger();
    const rig = await HilRig.create({ pump: fast(), logger });
    rig.advanceTo(125);
    const warns = logger.lines.filter((l) => /PUMP WILL NOT OPERATE/.test(l.msg));
    expect(warns).toHaveLength(3); // 0, 60, 120
  });
});
