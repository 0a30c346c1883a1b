import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { uptime } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import { fail, ok, type Result } from '../core/result.js';
import { PUMP_STATES } from '../topics/payloads.js';
import type { PersistedPumpState } from './machine-types.js';

/** Options of {@link PumpStateStore}. */
export interface StateStoreOptions {
  path: string;
  /** Kernel boot id (default read from /proc/sys/kernel/random/boot_id). */
  bootId?: string;
  /** Seconds since boot (default os.uptime()); only compared within one boot id. */
  uptimeS?: () => number;
}

const fileSchema = z.object({
  v: z.literal(1),
  state: z.enum(PUMP_STATES),
  armed: z.boolean(),
  holdRemainingS: z.number().min(0),
  lockoutRemainingS: z.number().min(0),
  refillRuntimeS: z.number().min(0),
  error: z.string().nullable(),
  run: z.object({ usedS: z.number().min(0), fireOffRemainingS: z.number().min(0), attempt: z.number().int(), engineOn: z.boolean(), graceful: z.boolean() }).nullable(),
  lastTriggerId: z.string().nullable(),
  bootId: z.string(),
  savedUptimeS: z.number(),
});

/** Read the kernel boot id, or a per-process fallback (then a restart counts as a new boot: conservative). */
export function readBootId(path = '/proc/sys/kernel/random/boot_id'): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return `unknown-${process.pid}-${Date.now()}`;
  }
}

/**
 * Persisted controller state (PUMP.md Safety 1). Remaining times are stored as seconds with the
 * boot id and the boot-relative uptime: within the same boot the time that passed while we were
 * down is subtracted (uptime is monotonic, unlike the wall clock); after a reboot nobody knows how
 * long we were down, so the full remaining lockout/hold is kept (never shortened by a clock jump).
 */
export class PumpStateStore {
  readonly path: string;
  private readonly bootId: string;
  private readonly uptimeS: () => number;
  /** The last save's error, null after a successful save (health: state_write_failed, issue 12). */
  lastWriteError: string | null = null;

  constructor(opts: StateStoreOptions) {
    this.path = opts.path;
    this.bootId = opts.bootId ?? readBootId();
    this.uptimeS = opts.uptimeS ?? uptime;
  }

  /** Load and age the state; `ok(null)` when there is no file yet. */
  load(): Result<PersistedPumpState | null> {
    if (!existsSync(this.path)) return ok(null);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      return fail(`pump state file ${this.path} is unreadable (${(err as Error).message}); starting without it`);
    }
    const r = fileSchema.safeParse(raw);
    if (!r.success) return fail(`pump state file ${this.path} is invalid (${r.error.issues[0]?.message}); starting without it`);
    const { bootId, savedUptimeS, ...state } = r.data;
    const elapsed = bootId === this.bootId ? Math.max(0, this.uptimeS() - savedUptimeS) : 0;
    const age = (s: number) => Math.max(0, s - elapsed);
    return ok({
      ...state,
      holdRemainingS: age(state.holdRemainingS),
      lockoutRemainingS: age(state.lockoutRemainingS),
      // An engine that was on may have kept turning while we were down (until the dead-man, or for
      // the whole downtime without one): within one boot that time counts as used runtime.
      run: state.run ? { ...state.run, usedS: state.run.usedS + (state.run.engineOn ? elapsed : 0), fireOffRemainingS: age(state.run.fireOffRemainingS) } : null,
    });
  }

  /** Atomic write: temp file, fsync, rename, fsync the directory. */
  save(state: PersistedPumpState): Result<void> {
    const tmp = `${this.path}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify({ ...state, bootId: this.bootId, savedUptimeS: this.uptimeS() }) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      const dfd = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
      this.lastWriteError = null;
      return ok(undefined);
    } catch (err) {
      this.lastWriteError = `cannot write pump state ${this.path}: ${(err as Error).message}`;
      return fail(this.lastWriteError);
    }
  }
}
