import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runScenario, SCENARIOS } from '../../hw/hil.js';

// The harness's scripted scenarios (the same rig as every HIL test) and its command line.

describe('hw/hil.ts scenarios', () => {
  it('dry-run: flow never seen → stop after priming + maxDryRunTime, ERROR with all outputs off', async () => {
    const rig = await runScenario(SCENARIOS['dry-run']);
    // E = 7.5, priming ends 17.5, dry-run window 30 s → trip at 47.5, stop pulse until 52.5
    expect(rig.state()).toBe('ERROR');
    expect(rig.controller.snapshot().state.error).toBe('dry_run');
    expect(rig.edges(['ignitionOn']).map((e) => e.t)).toEqual([2, 47.5]);
    expect(Object.values(rig.outputs()).some(Boolean)).toBe(false);
  });

  it('float: the second run still stops at fire-off after a float-ended refill', async () => {
    const rig = await runScenario(SCENARIOS.float);
    expect(rig.transitions().filter((t) => t.startsWith('RUNNING>REDUCING_RPM:fire_off'))).toHaveLength(2);
  });

  it('runs from the command line and prints the pin timeline', async () => {
    const hil = new URL('../../hw/hil.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', hil, '--scenario', 'graceful'], { timeout: 60_000 });
    expect(stdout).toMatch(/2\.000 s {2}ignitionOn {4}ON/);
    expect(stdout).toMatch(/final state IDLE/);
  });
});
