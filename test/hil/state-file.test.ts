import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { evaluateHealth } from '../../src/telemetry/index.js';
import { fast, intervals } from './fast-profile.js';

// Issue 12 item 1: a state file that cannot be read or verified never loosens a safety state.
// Pin levels over virtual time with the FAST profile: ignitionOffDuration 1 s, maxEngineRuntime
// 60 s × refillMultiplier 2 = the longest lockout this config allows, 120 s (cap 600 s).

const pump = fast();
const FILE = 'pump-state.json';
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** A state body as today's code writes it (format 2 wraps it with a checksum). */
function body(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, state: 'IDLE', armed: true, holdRemainingS: 0, lockoutRemainingS: 0, refillRuntimeS: 0, error: null, run: null, lastTriggerId: null, bootId: 'boot-A', savedUptimeS: 0, stateLost: false, ...over };
}
function format2(b: Record<string, unknown>): string {
  const text = JSON.stringify(b);
  return JSON.stringify({ format: 2, sha256: sha(text), body: text }) + '\n';
}
function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-state-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
/** A fresh process on `dir` (same boot, uptime continuing from 100 s). */
function boot(dir: string, extra: Partial<Parameters<typeof HilRig.create>[0]> = {}): Promise<HilRig> {
  const clock = new VirtualClock(1_764_300_000_000, 0);
  return HilRig.create({ pump, stateDir: dir, clock, bootId: 'boot-A', uptimeS: () => 100 + clock.now() / 1000, ...extra });
}
/** A real file from a pump the owner disarmed (the case the issue reproduced). */
async function disarmedDir(): Promise<string> {
  const r = await HilRig.create({ pump, bootId: 'boot-A' });
  r.command('disarm');
  return r.stateDir;
}

/** The state-lost boot, checked on the pins over virtual time. */
async function expectStateLost(dir: string): Promise<HilRig> {
  const rig = await boot(dir);
  // The engine may have been turning when the file broke: stop pulse first, main valve open
  // during it (no dead-heading), then the refill lockout; ignition and crank never rise.
  expect(rig.state()).toBe('STOPPING');
  expect(rig.controller.snapshot().state).toMatchObject({ armed: false, stateLost: true });
  rig.trigger();
  rig.advanceTo(5);
  expect(rig.state()).toBe('REFILLING');
  expect(rig.controller.snapshot().state.lockoutRemainingS).toBeCloseTo(116, 6); // 120 s from 1 s
  rig.advanceTo(130); // lockout over (COOLDOWN → IDLE), the latch is not
  expect(rig.state()).toBe('IDLE');
  rig.trigger();
  rig.advanceTo(140);
  const e = rig.edges();
  expect(intervals(e, 'ignitionOff')).toEqual([[0, 1]]);
  expect(intervals(e, 'mainValve')).toEqual([[0, 10]]); // + valveCloseDelay, as after any engine stop
  expect(intervals(e, 'refillValve')).toEqual([[0, 121]]);
  expect(rig.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
  expect(rig.eventsNamed('trigger_refused').map((x) => x.reason)).toEqual(['state_lost', 'state_lost']);
  expect(rig.controller.snapshot().state).toMatchObject({ armed: false, stateLost: true });
  return rig;
}

describe('HIL: corrupt or unreadable pump state file (issue 12)', () => {
  it('truncated file → disarmed, longest lockout, latched state lost; triggers never start the engine', async () => {
    const dir = await disarmedDir();
    const text = readFileSync(join(dir, FILE), 'utf8');
    writeFileSync(join(dir, FILE), text.slice(0, Math.floor(text.length / 2)));
    await expectStateLost(dir);
  });

  it('garbage file → state lost; the bad file is kept as .corrupt for the operator', async () => {
    const dir = dirWith({ [FILE]: '\u0000\u0000\u00ff\u00fe garbage ~~~' });
    await expectStateLost(dir);
    expect(readFileSync(join(dir, `${FILE}.corrupt`), 'utf8')).toBe('\u0000\u0000\u00ff\u00fe garbage ~~~');
  });

  it('a state file deleted under a running controller does not stop later writes', async () => {
    const rig = await boot(dirWith({}));
    rig.command('disarm');
    const { rmSync } = await import('node:fs');
    rmSync(join(rig.stateDir, FILE));
    rig.command('stop'); // the operator hold is persisted
    const onDisk = JSON.parse(readFileSync(join(rig.stateDir, FILE), 'utf8')) as { body: string };
    expect(JSON.parse(onDisk.body)).toMatchObject({ armed: false, holdRemainingS: 100 });
  });

  it('valid JSON with wrong types → state lost (legacy layout, and a correctly checksummed body)', async () => {
    await expectStateLost(dirWith({ [FILE]: JSON.stringify({ ...body({ armed: 'yes', lockoutRemainingS: '7200' }), stateLost: undefined }) }));
    await expectStateLost(dirWith({ [FILE]: format2(body({ armed: 1, run: { usedS: -5 } })) }));
    await expectStateLost(dirWith({ [FILE]: '[1,2,3]' }));
  });

  it('checksum mismatch (one bit flipped in a real file) → state lost', async () => {
    const dir = await disarmedDir();
    const text = readFileSync(join(dir, FILE), 'utf8');
    const flipped = text.replace('"armed\\":false', '"armed\\":true '); // still valid JSON, wrong checksum
    expect(flipped).not.toBe(text);
    writeFileSync(join(dir, FILE), flipped);
    await expectStateLost(dir);
  });

  it('missing file on first boot (empty state dir) → a normal IDLE start, armed, a trigger starts the engine', async () => {
    const rig = await boot(dirWith({}));
    expect(rig.state()).toBe('IDLE');
    expect(rig.controller.snapshot().state).toMatchObject({ armed: true, stateLost: false });
    expect(rig.edges()).toEqual([]);
    rig.trigger();
    rig.advanceTo(10);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[2, Infinity]]);
  });

  it('a missing file whose previous copy is still there is not a first boot → state lost', async () => {
    const dir = await disarmedDir();
    const r = await boot(dir); // a second write keeps the first as .prev
    r.command('disarm');
    expect(existsSync(join(dir, `${FILE}.prev`))).toBe(true);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, FILE));
    await expectStateLost(dir);
  });

  it('only an operator clears it: manual start works while latched; reset + arm give a normal pump again', async () => {
    const rig = await boot(dirWith({ [FILE]: '{"format":2,' }));
    rig.advanceTo(2);
    expect(rig.command('start')).toEqual({ accepted: true, reason: null }); // manual start still works
    rig.advanceTo(10);
    expect(intervals(rig.edges(), 'ignitionOn')).toEqual([[4, Infinity]]);
    rig.command('stop');
    rig.advanceTo(200);
    expect(rig.controller.snapshot().state.stateLost).toBe(true);
    rig.command('reset'); // clears the latch (and the hold of the stop); still disarmed
    expect(rig.controller.snapshot().state).toMatchObject({ armed: false, stateLost: false });
    rig.trigger();
    expect(rig.eventsNamed('trigger_refused').at(-1)?.reason).toBe('disarmed');
    rig.command('arm');
    rig.trigger();
    rig.advanceTo(201);
    expect(rig.state()).toBe('PRIMING');
    expect(rig.eventsNamed('state_lost_cleared').map((e) => e.reason)).toEqual(['reset']);
  });

  it('the latch survives a restart before an operator clears it; arm alone clears it', async () => {
    const r1 = await boot(dirWith({ [FILE]: 'garbage' }));
    r1.advanceTo(3);
    const r2 = await boot(r1.stateDir);
    expect(r2.controller.snapshot().state).toMatchObject({ armed: false, stateLost: true, state: 'REFILLING' });
    r2.command('arm');
    expect(r2.controller.snapshot().state).toMatchObject({ armed: true, stateLost: false });
    r2.trigger(); // the lockout still applies until it ends or a reset
    expect(r2.eventsNamed('trigger_refused').at(-1)?.reason).toBe('trigger_blocked_refilling');
  });

  it('a verified previous copy can only add restrictions: its latched ERROR stays latched', async () => {
    const r1 = await HilRig.create({ pump: fast({}, { pins: { mainValveFeedback: 17 } }), bootId: 'boot-A' });
    r1.trigger();
    r1.advanceTo(5); // feedback never agrees → ERROR main_valve_not_confirmed
    expect(r1.state()).toBe('ERROR');
    r1.command('disarm'); // one more write: the ERROR file becomes .prev
    writeFileSync(join(r1.stateDir, FILE), 'x');
    const r2 = await boot(r1.stateDir);
    r2.advanceTo(3);
    expect(r2.state()).toBe('ERROR');
    expect(r2.controller.snapshot().state).toMatchObject({ error: 'main_valve_not_confirmed', stateLost: true, armed: false });
    expect(r2.command('start').accepted).toBe(false);
    expect(intervals(r2.edges(), 'ignitionOff')).toEqual([[0, 1]]);
  });

  it('health reports pump_state_lost as failed until cleared', async () => {
    const rig = await boot(dirWith({ [FILE]: 'garbage' }));
    const input = (pumpSnap: Record<string, unknown>) => ({ mqtt: null, cameras: [], detector: null, consensus: null, pump: pumpSnap as { state: string }, listeners: [], clockSync: 'synced' as const, sourceErrors: [] });
    const v = evaluateHealth(input(rig.controller.snapshot().state));
    expect(v.status).toBe('failed');
    expect(v.problems.map((p) => p.code)).toContain('pump_state_lost');
    rig.command('reset');
    rig.command('arm');
    expect(evaluateHealth(input(rig.controller.snapshot().state)).problems.map((p) => p.code)).not.toContain('pump_state_lost');
  });
});

describe('HIL: state file written by the previous version (no checksum)', () => {
  it('is accepted once under the strict schema (the disarm is kept) and rewritten with a checksum at once', async () => {
    const legacy = { ...body({ armed: false, holdRemainingS: 50, savedUptimeS: 100 }) } as Record<string, unknown>;
    delete legacy.stateLost;
    const dir = dirWith({ [FILE]: JSON.stringify(legacy) + '\n' });
    const rig = await boot(dir);
    expect(rig.state()).toBe('IDLE');
    expect(rig.controller.snapshot().state).toMatchObject({ armed: false, stateLost: false });
    expect(rig.controller.snapshot().state.holdRemainingS).toBeCloseTo(50, 6);
    const onDisk = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as { format: number; sha256: string; body: string };
    expect(onDisk.format).toBe(2);
    expect(onDisk.sha256).toBe(sha(onDisk.body));
    rig.trigger();
    rig.advanceTo(10);
    expect(rig.edges(['ignitionOn', 'ignitionStart'])).toEqual([]);
  });
});
