import { access } from 'node:fs/promises';
import { runCommand, type CommandRunner } from './command.js';

/**
 * Is the wall clock synchronised? (docs/topics.md "Time"). A Pi has no real-time clock, so until NTP
 * has synced, wall time may be off by months and absolute expiry/age checks must be skipped.
 *
 * Sources, in order:
 *  1. `/run/systemd/timesync/synchronized` exists → synced (written by systemd-timesyncd on sync;
 *     its absence proves nothing, chrony never writes it);
 *  2. `timedatectl show -p NTPSynchronized --value` → `yes`/`no` (the kernel's sync flag, set by
 *     timesyncd and chrony alike);
 *  3. neither available → `unknown`.
 *
 * Decision for `unknown` (a dev machine or container without systemd): {@link ClockSyncProbe.clockSynced}
 * returns **true**. A node without systemd is not a deployed Pi (deploy/ installs systemd time sync),
 * and treating it as unsynced would make every development run skip expiry checks and report
 * `degraded` forever. Health still shows the truth: `clock_sync: "unknown"`.
 */

/** The three answers a probe can give. */
export type ClockSyncState = 'synced' | 'unsynced' | 'unknown';

/** Options; every source is injectable for tests (`null` disables it). */
export interface ClockSyncOptions {
  /** Default `/run/systemd/timesync/synchronized`. */
  flagPath?: string | null;
  /** Default `timedatectl`. */
  timedatectl?: string | null;
  run?: CommandRunner;
}

/** A cached view of the sync flag, refreshed by the telemetry loop. */
export interface ClockSyncProbe {
  /** Re-read the sources; resolves with (and caches) the new state. Never throws. */
  refresh(): Promise<ClockSyncState>;
  /** The cached state (`unknown` before the first refresh). */
  state(): ClockSyncState;
  /** True unless the sources positively say "not synchronised" (see the module comment for `unknown`). */
  clockSynced(): boolean;
}

/** Build a probe. */
export function createClockSyncProbe(opts: ClockSyncOptions = {}): ClockSyncProbe {
  const flagPath = opts.flagPath === undefined ? '/run/systemd/timesync/synchronized' : opts.flagPath;
  const timedatectl = opts.timedatectl === undefined ? 'timedatectl' : opts.timedatectl;
  const run = opts.run ?? runCommand;
  let current: ClockSyncState = 'unknown';

  async function probe(): Promise<ClockSyncState> {
    if (flagPath) {
      try {
        await access(flagPath);
        return 'synced';
      } catch {
        // fall through: chrony never writes the flag file
      }
    }
    if (timedatectl) {
      const r = await run(timedatectl, ['show', '-p', 'NTPSynchronized', '--value'], 2000);
      if (r.ok) {
        const v = r.value.trim().toLowerCase();
        if (v === 'yes') return 'synced';
        if (v === 'no') return 'unsynced';
      }
    }
    return 'unknown';
  }

  return {
    async refresh() {
      current = await probe();
      return current;
    },
    state: () => current,
    clockSynced: () => current !== 'unsynced',
  };
}
