import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { fast, intervals, valveFirstViolation } from './fast-profile.js';

// Issue 12 item 3: the exit safe stop is a real transition. Stopped at t = 10 (RUNNING since 3.5,
// FAST profile: ignitionOffDuration 1 s): STOPPING with the stop pulse 10–11 is published as it
// happens, then the final retained STOPPED_FOR_EXIT with every output off.

async function stopAt(rig: HilRig, why: string): Promise<void> {
  const p = rig.controller.stop(why);
  rig.advance(rig.config.timings.ignitionOffDuration);
  await p;
}

describe('HIL: exit safe stop (SIGTERM/SIGINT/crash) tells the truth', () => {
  it('while RUNNING: engine off at once, stop pulse with the main valve held open, then all off; STOPPING then STOPPED_FOR_EXIT published', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(10);
    expect(rig.state()).toBe('RUNNING');
    const before = rig.states.length;
    await stopAt(rig, 'SIGTERM');
    const e = rig.edges();
    expect(intervals(e, 'ignitionOn')).toEqual([[2, 10]]);
    expect(intervals(e, 'ignitionOff')).toEqual([[10, 11]]);
    expect(intervals(e, 'mainValve')).toEqual([[0, 11]]); // open through the pulse: no dead-heading
    expect(intervals(e, 'refillValve')).toEqual([[0, 10]]);
    expect(valveFirstViolation(e)).toBeNull();
    expect(Object.values(rig.outputs()).some(Boolean)).toBe(false);
    const published = rig.states.slice(before);
    expect(published.map((s) => s.state)).toEqual(['STOPPING', 'STOPPED_FOR_EXIT']);
    expect(published[0].outputs).toEqual({ mainValve: true, ignitionStart: false, ignitionOn: false, ignitionOff: true, refillValve: false, primingValve: false, rpmReduce: false });
    expect(Object.values(published[1].outputs).some(Boolean)).toBe(false);
    expect(published[1].run).toBeNull();
    const exits = rig.eventsNamed('transition').filter((x) => x.exit === true).map((x) => `${x.from}>${x.to}:${x.reason}`);
    expect(exits).toEqual(['RUNNING>STOPPING:exit:SIGTERM', 'STOPPING>STOPPED_FOR_EXIT:exit:SIGTERM']);
    expect(rig.controller.snapshot().state.state).toBe('STOPPED_FOR_EXIT');
  });

  it('pump.exitMainValve: close closes the main valve with the engine', async () => {
    const rig = await HilRig.create({ pump: fast({}, { exitMainValve: 'close' }) });
    rig.trigger();
    rig.advanceTo(10);
    await stopAt(rig, 'SIGINT');
    expect(intervals(rig.edges(), 'mainValve')).toEqual([[0, 10]]);
    expect(intervals(rig.edges(), 'ignitionOff')).toEqual([[10, 11]]);
    expect(rig.states.at(-2)?.outputs.mainValve).toBe(false);
    expect(rig.states.at(-1)?.state).toBe('STOPPED_FOR_EXIT');
  });

  it('while REDUCING_RPM: rpmReduce off with the engine, same pulse', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(31); // fire-off at 30 → RPM reduced 30–32
    expect(rig.state()).toBe('REDUCING_RPM');
    await stopAt(rig, 'SIGTERM');
    expect(intervals(rig.edges(), 'rpmReduce')).toEqual([[30, 31]]);
    expect(intervals(rig.edges(), 'ignitionOff')).toEqual([[31, 32]]);
    expect(rig.states.slice(-2).map((s) => s.state)).toEqual(['STOPPING', 'STOPPED_FOR_EXIT']);
  });

  it('with the engine stopped (REFILLING): no pulse, every output off, final STOPPED_FOR_EXIT with its event', async () => {
    const rig = await HilRig.create({ pump: fast() });
    rig.trigger();
    rig.advanceTo(50); // REFILLING since 33
    const before = rig.states.length;
    await stopAt(rig, 'SIGTERM');
    expect(intervals(rig.edges(), 'ignitionOff')).toEqual([[32, 33]]); // only the run's own pulse
    expect(intervals(rig.edges(), 'refillValve')).toEqual([[0, 50]]);
    expect(rig.states.slice(before).map((s) => s.state)).toEqual(['STOPPED_FOR_EXIT']);
    expect(rig.eventsNamed('transition').at(-1)).toMatchObject({ from: 'REFILLING', to: 'STOPPED_FOR_EXIT', reason: 'exit:SIGTERM', engine_ran: false });
  });

  it('the exit does not overwrite the state file: a restart still resumes the interrupted run (Safety 1)', async () => {
    const rig = await HilRig.create({ pump: fast({ fireOffDelay: 1000 }), bootId: 'b' });
    rig.trigger();
    rig.advanceTo(10);
    await stopAt(rig, 'SIGTERM');
    const r2 = await HilRig.create({ pump: fast({ fireOffDelay: 1000 }), stateDir: rig.stateDir, bootId: 'b', uptimeS: () => 11 });
    expect(r2.transitions()[0]).toBe('IDLE>STOPPING:restart_stop');
  });
});

describe('HIL: a stop before the start (a signal during boot)', () => {
  it('the controller never starts afterwards: no resumed run, no state after STOPPED_FOR_EXIT, outputs off', async () => {
    // A run in progress is saved; the next boot is told to stop before its controller starts.
    const rig = await HilRig.create({ pump: fast({ fireOffDelay: 1000 }), bootId: 'b' });
    rig.trigger();
    rig.advanceTo(10);
    await stopAt(rig, 'SIGTERM');
    const r2 = await HilRig.create({ pump: fast({ fireOffDelay: 1000 }), stateDir: rig.stateDir, bootId: 'b', uptimeS: () => 11, noStart: true });
    await stopAt(r2, 'SIGTERM');
    r2.controller.start();
    r2.advance(60);
    expect(r2.states.map((s) => s.state)).toEqual(['STOPPED_FOR_EXIT']);
    expect(r2.transitions()).toEqual(['IDLE>STOPPED_FOR_EXIT:exit:SIGTERM']);
    expect(Object.values(r2.outputs()).some(Boolean)).toBe(false);
    // The saved run is still there for the boot after (the exit never writes the state file).
    const r3 = await HilRig.create({ pump: fast({ fireOffDelay: 1000 }), stateDir: rig.stateDir, bootId: 'b', uptimeS: () => 12 });
    expect(r3.transitions()[0]).toBe('IDLE>STOPPING:restart_stop');
  });
});
