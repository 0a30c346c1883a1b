import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fail, ok } from '../../src/core/result.js';
import { createSystemStats, decodeThrottled, parseThrottled, type CommandRunner } from '../../src/telemetry/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfe-stats-'));
const missing = join(dir, 'does-not-exist');

describe('throttled flags', () => {
  it('decodes current and since-boot bits', () => {
    expect(decodeThrottled(0x50005)).toEqual({ raw: '0x50005', now: ['under_voltage', 'throttled'], since_boot: ['under_voltage', 'throttled'] });
    expect(decodeThrottled(0)).toEqual({ raw: '0x0', now: [], since_boot: [] });
    expect(decodeThrottled(0x80000).since_boot).toEqual(['soft_temperature_limit']);
  });
  it('parses vcgencmd and sysfs forms, rejects garbage', () => {
    expect(parseThrottled('throttled=0x20002\n')?.now).toEqual(['arm_frequency_capped']);
    expect(parseThrottled('20002\n')?.since_boot).toEqual(['arm_frequency_capped']);
    expect(parseThrottled('nope')).toBeNull();
  });
});

describe('createSystemStats', () => {
  it('reads temperature and throttling from the injected Pi paths', async () => {
    writeFileSync(join(dir, 'temp'), '48312\n');
    writeFileSync(join(dir, 'throttled'), '50000\n');
    const run: CommandRunner = async () => fail('must not spawn vcgencmd when sysfs works');
    const s = createSystemStats({ thermalPath: join(dir, 'temp'), throttledPath: join(dir, 'throttled'), run, diskPath: dir, processUptimeS: () => 123.4 });
    const r = await s.read();
    expect(r.cpu_temp_c).toBe(48.3);
    expect(r.throttled).toEqual({ raw: '0x50000', now: [], since_boot: ['under_voltage', 'throttled'] });
    expect(r.uptime_s).toBe(123);
    expect(r.mem_total_mb).toBeGreaterThan(0);
    expect(r.mem_used_mb).toBeGreaterThan(0);
    expect(r.mem_used_mb).toBeLessThanOrEqual(r.mem_total_mb);
    expect(r.rss_mb).toBeGreaterThan(1);
    expect(r.disk_total_mb).toBeGreaterThan(0);
    expect(r.disk_free_mb).toBeLessThanOrEqual(r.disk_total_mb!);
    expect(r.load1).toBeGreaterThanOrEqual(0);
  });

  it('falls back to vcgencmd when the sysfs node is absent, and stops trying once it is missing', async () => {
    const calls: string[] = [];
    let answer = ok('throttled=0x4\n');
    const run: CommandRunner = async (cmd, args) => {
      calls.push(`${cmd} ${args.join(' ')}`);
      return answer;
    };
    const s = createSystemStats({ thermalPath: null, throttledPath: missing, vcgencmd: '/opt/vc/vcgencmd', run });
    expect((await s.read()).throttled?.now).toEqual(['throttled']);
    expect(calls).toEqual(['/opt/vc/vcgencmd get_throttled']);
    answer = fail('not installed');
    expect((await s.read()).throttled).toBeNull();
    expect((await s.read()).throttled).toBeNull();
    expect(calls).toHaveLength(2);
  });

  it('reads null, not an error, where a source is absent (dev machine)', async () => {
    const s = createSystemStats({ thermalPath: missing, throttledPath: missing, vcgencmd: null, diskPath: missing });
    const r = await s.read();
    expect(r.cpu_temp_c).toBeNull();
    expect(r.throttled).toBeNull();
    expect(r.disk_free_mb).toBeNull();
    expect(r.disk_total_mb).toBeNull();
  });

  it('measures cpu_percent between reads within 0..100', async () => {
    const s = createSystemStats({ thermalPath: null, throttledPath: null, vcgencmd: null });
    const until = Date.now() + 30;
    while (Date.now() < until); // burn a little CPU so the delta is non-empty
    const r = await s.read();
    if (r.cpu_percent !== null) {
      expect(r.cpu_percent).toBeGreaterThanOrEqual(0);
      expect(r.cpu_percent).toBeLessThanOrEqual(100);
    }
  });
});
