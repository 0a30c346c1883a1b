import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLogger, silentLogger } from '../../src/log/logger.js';
import { createPumpExitSafety, pumpSafeStopMs } from '../../src/pump/index.js';

// Safety 7 in a real child process: SIGTERM, SIGINT or an uncaught exception during a run →
// every output off and the ignition-off pulse recorded, then exit. The child runs the pump under
// the process lifecycle (issue 15 item 3: the one owner of signals; the pump's exit safety is its
// first step and registers no handler of its own).

const FIXTURE = new URL('./fixtures/pump-child.ts', import.meta.url).pathname;
const PINS = { mainValve: 18, ignitionStart: 23, ignitionOn: 24, ignitionOff: 25, refillValve: 22, primingValve: 26, rpmReduce: 27 };

interface Change { t: number; pin: number; level: 0 | 1; kind: string }

async function runChild(mode: 'signal' | 'crash', signal?: NodeJS.Signals): Promise<{ code: number | null; changes: Change[]; stopAt: number; listeners: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-exit-'));
  const timeline = join(dir, 'timeline.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, timeline, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`child never reached RUNNING: ${err}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('RUNNING')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const changesBefore = readFileSync(timeline, 'utf8').trim().split('\n').length;
  if (signal) child.kill(signal);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const changes = readFileSync(timeline, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Change);
  return { code, changes, stopAt: changes[changesBefore - 1].t, listeners: /LISTENERS (.*)/.exec(out)?.[1] ?? '' };
}

function finalLevels(changes: Change[]): Record<number, number> {
  const lv: Record<number, number> = {};
  for (const c of changes) lv[c.pin] = c.level;
  return lv;
}

describe('exit safety (child process)', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} during a run: ignition-off pulse, every output off, exit 0`, async () => {
      const { code, changes, stopAt, listeners } = await runChild('signal', signal);
      expect(code).toBe(0);
      // One handler per event in the whole process: the lifecycle's.
      expect(listeners).toBe('SIGTERM=1 SIGINT=1 uncaughtException=1 unhandledRejection=1');
      const after = changes.filter((c) => c.t >= stopAt);
      // Engine and valves off, then the stop pulse: ignitionOff rises and falls ≈ 0.3 s later.
      const ifOn = after.find((c) => c.pin === PINS.ignitionOff && c.level === 1);
      const ifOff = after.find((c) => c.pin === PINS.ignitionOff && c.level === 0);
      expect(ifOn).toBeDefined();
      expect(ifOff).toBeDefined();
      expect(ifOff!.t - ifOn!.t).toBeGreaterThanOrEqual(290);
      expect(after.some((c) => c.pin === PINS.ignitionOn && c.level === 0)).toBe(true);
      const lv = finalLevels(changes);
      for (const pin of Object.values(PINS)) expect(lv[pin]).toBe(0);
    });
  }

  it('uncaught exception during a run: same safe stop, exit 1', async () => {
    const { code, changes } = await runChild('crash');
    expect(code).toBe(1);
    const lv = finalLevels(changes);
    for (const pin of Object.values(PINS)) expect(lv[pin]).toBe(0);
    const pulses = changes.filter((c) => c.pin === PINS.ignitionOff);
    expect(pulses.map((c) => c.level)).toEqual([0, 1, 0]); // boot off, pulse on, pulse off
  });
});

describe('createPumpExitSafety (in process)', () => {
  it('registers no process handler (the lifecycle is the one owner), stops once with the first why, never rejects', async () => {
    const events = ['SIGTERM', 'SIGINT', 'uncaughtException', 'unhandledRejection'];
    const before = events.map((e) => process.listenerCount(e));
    const whys: string[] = [];
    const safety = createPumpExitSafety({ controller: { stop: async (why) => void whys.push(String(why)) }, logger: silentLogger() });
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
    await Promise.all([safety.safeStop('SIGTERM'), safety.safeStop('SIGINT')]);
    await safety.safeStop('crash');
    expect(whys).toEqual(['SIGTERM']);
    // A controller whose stop fails: logged, and the lifecycle still goes on to stop the rest.
    const logger = memoryLogger('info');
    const failing = createPumpExitSafety({ controller: { stop: async () => Promise.reject(new Error('wedged driver')) }, logger });
    await expect(failing.safeStop('SIGTERM')).resolves.toBeUndefined();
    expect(logger.lines.some((l) => l.msg === 'safe stop failed' && String(l.err).includes('wedged driver'))).toBe(true);
  });

  it('the pump deadline comes from the config: the stop pulse plus slack', () => {
    expect(pumpSafeStopMs({ timings: { ignitionOffDuration: 5 } as never })).toBe(10_000);
    expect(pumpSafeStopMs({ timings: { ignitionOffDuration: 30 } as never })).toBe(35_000);
  });
});
