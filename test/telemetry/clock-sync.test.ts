import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fail, ok } from '../../src/core/result.js';
import { createClockSyncProbe, type CommandRunner } from '../../src/telemetry/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfe-sync-'));
const absent = join(dir, 'absent');

describe('clock sync probe', () => {
  it('is synced when timesyncd wrote its flag file, without running timedatectl', async () => {
    writeFileSync(join(dir, 'synchronized'), '');
    const run: CommandRunner = async () => fail('should not be called');
    const p = createClockSyncProbe({ flagPath: join(dir, 'synchronized'), run });
    expect(p.state()).toBe('unknown');
    expect(await p.refresh()).toBe('synced');
    expect(p.clockSynced()).toBe(true);
  });

  it('reads timedatectl NTPSynchronized yes/no when the flag file is absent', async () => {
    const seen: string[][] = [];
    let out = 'no\n';
    const run: CommandRunner = async (cmd, args) => {
      seen.push([cmd, ...args]);
      return ok(out);
    };
    const p = createClockSyncProbe({ flagPath: absent, run });
    expect(await p.refresh()).toBe('unsynced');
    expect(p.clockSynced()).toBe(false);
    out = 'yes\n';
    expect(await p.refresh()).toBe('synced');
    expect(p.clockSynced()).toBe(true);
    expect(seen[0]).toEqual(['timedatectl', 'show', '-p', 'NTPSynchronized', '--value']);
  });

  it('is unknown (and treated as synced) without systemd', async () => {
    const p = createClockSyncProbe({ flagPath: absent, run: async () => fail('System has not been booted with systemd') });
    expect(await p.refresh()).toBe('unknown');
    expect(p.clockSynced()).toBe(true);
    const q = createClockSyncProbe({ flagPath: null, timedatectl: null });
    expect(await q.refresh()).toBe('unknown');
  });
});
