import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { fast, intervals } from '../hil/fast-profile.js';

// Safety 1 across process restarts: the state file (atomic, every transition) lets a new process
// resume safely. A "crash" here is simply abandoning rig 1 without stop(), like SIGKILL.

/** The state body of a (format 2, checksummed) state file. */
function readState(file: string): { state: string; run: { usedS: number } | null } {
  return JSON.parse(JSON.parse(readFileSync(file, 'utf8')).body);
}

/** A second process on the same machine: same state dir, boot uptime continuing from `atUptimeS`. */
function restartOpts(stateDir: string, atUptimeS: number, bootId = 'boot-A') {
  const clock = new VirtualClock(1_764_300_000_000, 0);
  return { clock, stateDir, bootId, uptimeS: () => atUptimeS + clock.now() / 1000 };
}

describe('restart (persisted state)', () => {
  it('during a run: outputs off first, stop pulse, then the run resumes from PRIMING with its used runtime counted', async () => {
    const pump = fast({ fireOffDelay: 1000 });
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(20); // I = 2; saved every second while the engine runs, with 1 s of margin → 18 + 1
    expect(r1.state()).toBe('RUNNING');
    const saved = readState(join(r1.stateDir, 'pump-state.json'));
    expect(saved.run?.usedS).toBeCloseTo(19, 6);

    const o = restartOpts(r1.stateDir, 20);
    const r2 = await HilRig.create({ pump, ...o, noStart: true });
    // Before start(): every output written off, nothing on.
    expect(r2.driver.timeline.every((c) => c.level === 0)).toBe(true);
    r2.controller.start();
    for (let t = 0; t < 120; t++) {
      r2.advanceTo(t);
      r2.trigger();
    }
    // The engine may still turn after a crash: stop pulse first, then PRIMING → I = 1 + 2 = 3.
    expect(intervals(r2.edges(), 'ignitionOff')[0]).toEqual([0, 1]);
    // Limit = I + 60 − 19 counted before the restart.
    expect(intervals(r2.edges(), 'ignitionOn')[0]).toEqual([3, 44]);
    expect(r2.transitions()[0]).toBe('IDLE>STOPPING:restart_stop');
  });

  it('Safety 3 across a crash: ignition on over both processes never exceeds maxEngineRuntime', async () => {
    // Killed between two saves, and 5 s down with the engine possibly still turning (no dead-man):
    // both count against the 60 s limit of the resumed run.
    for (const [killAt, downS] of [[21.9, 0], [21.5, 5], [33.99, 2]] as const) {
      const pump = fast({ fireOffDelay: 1000 });
      const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
      r1.trigger();
      r1.advanceTo(killAt);
      const before = intervals(r1.edges(), 'ignitionOn');
      expect(before).toEqual([[2, Infinity]]); // still on when killed
      const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, killAt + downS) });
      for (let t = 0; t < 120; t++) {
        r2.advanceTo(t);
        r2.trigger();
      }
      const [[on, off]] = intervals(r2.edges(), 'ignitionOn');
      const total = killAt - 2 + downS + (off - on);
      expect(total).toBeLessThanOrEqual(60);
      expect(total).toBeGreaterThan(58); // and the margin costs at most a second or two
    }
  });

  it('a run whose fire-off had expired is not resumed: refill lockout from the used runtime', async () => {
    const pump = fast({ fireOffDelay: 15 });
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(14);
    const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 40) }); // 26 s later: fire-off over
    r2.advanceTo(2);
    expect(r2.state()).toBe('REFILLING');
    expect(r2.outputs().ignitionOn).toBe(false);
    expect(r2.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
  });

  it('during refill: the lockout is kept (aged by the downtime within the same boot) and triggers stay blocked', async () => {
    const pump = fast();
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(50); // REFILLING since 33, lockout 60 s → ends at 93
    expect(r1.state()).toBe('REFILLING');
    const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 50) });
    expect(r2.state()).toBe('REFILLING');
    expect(r2.controller.snapshot().state.lockoutRemainingS).toBeCloseTo(43, 6);
    expect(r2.outputs()).toMatchObject({ refillValve: true, ignitionOn: false, mainValve: false });
    r2.trigger();
    expect(r2.eventsNamed('trigger_refused').at(-1)?.reason).toBe('trigger_blocked_refilling');
    r2.clock.jumpWall(-3600_000); // an NTP step backwards changes nothing
    r2.advanceTo(42.9);
    expect(r2.state()).toBe('REFILLING');
    r2.advanceTo(43.1);
    expect(r2.state()).toBe('COOLDOWN');
  });

  it('after a reboot (new boot id) the full remaining lockout is kept: never shortened', async () => {
    const pump = fast();
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(50);
    const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 5, 'boot-B') });
    expect(r2.controller.snapshot().state.lockoutRemainingS).toBeCloseTo(60, 6); // as saved at 33
  });

  it('operator hold, disarm and a latched ERROR survive a restart', async () => {
    const pump = fast({}, { pins: { flowSensor: 12 } });
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.command('disarm');
    r1.command('stop');
    const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 10) });
    expect(r2.controller.snapshot().state.armed).toBe(false);
    expect(r2.controller.snapshot().state.holdRemainingS).toBeCloseTo(90, 6);
    r2.command('arm');
    r2.trigger();
    expect(r2.eventsNamed('trigger_refused').at(-1)?.reason).toBe('operator_hold');
    r2.command('reset');
    r2.command('start');
    r2.advanceTo(60); // no flow → start_failed/dry run → ERROR
    expect(r2.state()).toBe('ERROR');
    const r3 = await HilRig.create({ pump, ...restartOpts(r2.stateDir, 200) });
    expect(r3.state()).toBe('ERROR');
    r3.trigger();
    expect(r3.state()).toBe('ERROR');
    expect(r3.outputs().mainValve).toBe(false);
  });

  it('a crash during the stop pulse of a dry-run trip keeps the ERROR latched (engine gets its pulse again)', async () => {
    const pump = fast({ startConfirmSeconds: 60, ignitionOffDuration: 5 }, { pins: { flowSensor: 12 } });
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(30); // dry-run trip at 28.5 → STOPPING (next ERROR) until 33.5
    expect(r1.state()).toBe('STOPPING');
    const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 30) });
    r2.advanceTo(10);
    expect(r2.state()).toBe('ERROR');
    expect(r2.controller.snapshot().state.error).toBe('dry_run');
    expect(intervals(r2.edges(), 'ignitionOff')).toEqual([[0, 5]]);
    expect(r2.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
  });

  it('a second crash during the restart stop pulse: the pulse is given again and the refill lockout kept', async () => {
    const pump = fast({ fireOffDelay: 15, ignitionOffDuration: 5 });
    const r1 = await HilRig.create({ pump, bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(14); // RUNNING since I = 2; the 10 s tick saved 10 s used
    const r2 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 40) }); // fire-off over while down
    r2.advanceTo(1); // inside r2's 5 s restart stop pulse (towards the refill lockout)
    expect(r2.state()).toBe('STOPPING');
    const r3 = await HilRig.create({ pump, ...restartOpts(r1.stateDir, 42) }); // r2 killed too
    expect(r3.state()).toBe('STOPPING'); // the engine may still turn: it gets its pulse again
    r3.advanceTo(6);
    expect(intervals(r3.edges(), 'ignitionOff')).toEqual([[0, 5]]);
    expect(r3.state()).toBe('REFILLING');
    expect(r3.controller.snapshot().state.lockoutRemainingS).toBeGreaterThan(0);
    r3.trigger();
    r3.advanceTo(10);
    expect(r3.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
  });

  it('an unreadable state file is reported and the controller comes up state-lost (not IDLE and armed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-pump-'));
    writeFileSync(join(dir, 'pump-state.json'), '{not json');
    const logger = memoryLogger();
    const rig = await HilRig.create({ pump: fast(), stateDir: dir, logger });
    expect(rig.state()).toBe('STOPPING');
    expect(rig.controller.snapshot().state).toMatchObject({ armed: false, stateLost: true });
    expect(logger.lines.some((l) => /state file .* not valid JSON.*PUMP STATE LOST/.test(l.msg))).toBe(true);
  });

  it('writes atomically on every transition (valid JSON, no temp file left behind)', async () => {
    const rig = await HilRig.create({ pump: fast() });
    const file = join(rig.stateDir, 'pump-state.json');
    rig.trigger();
    expect(readState(file).state).toBe('PRIMING');
    rig.advanceTo(2);
    expect(readState(file).state).toBe('STARTING');
    rig.advanceTo(4);
    expect(readState(file).state).toBe('RUNNING');
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});
