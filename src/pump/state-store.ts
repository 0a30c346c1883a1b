import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { uptime } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import { formatIssues, parseJson } from '../core/json.js';
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

/**
 * What a boot found (issue 12). `none`: no file at all (first boot: a normal IDLE start).
 * `ok`: a verified file (or an accepted legacy one, `legacy: true`). `lost`: a file (or its
 * traces) that cannot be read or verified; `previous` is the previous good copy if that verified.
 */
export type LoadOutcome =
  | { kind: 'none' }
  | { kind: 'ok'; state: PersistedPumpState; legacy: boolean }
  | { kind: 'lost'; reason: string; previous: PersistedPumpState | null };

const finite = z.number().finite();
const nonNeg = finite.min(0);
const stateFields = {
  v: z.literal(1),
  state: z.enum(PUMP_STATES),
  armed: z.boolean(),
  holdRemainingS: nonNeg,
  lockoutRemainingS: nonNeg,
  refillRuntimeS: nonNeg,
  error: z.string().nullable(),
  run: z
    .object({ usedS: nonNeg, fireOffRemainingS: nonNeg, attempt: z.number().int().min(1), engineOn: z.boolean(), graceful: z.boolean() })
    .strict()
    .nullable(),
  lastTriggerId: z.string().nullable(),
  bootId: z.string(),
  savedUptimeS: finite,
};
/** Body of a format-2 file: every field required, nothing unknown (strict). */
const bodySchema = z.object({ ...stateFields, stateLost: z.boolean() }).strict();
/** A file written before the checksum (no `format`, no `stateLost`): accepted once, strict schema. */
const legacySchema = z.object(stateFields).strict();
/** Format 2: the body as a string, so the checksum covers exactly the bytes that were written. */
const envelopeSchema = z.object({ format: z.literal(2), sha256: z.string().regex(/^[0-9a-f]{64}$/), body: z.string() }).strict();

type Body = z.infer<typeof bodySchema>;
type Read = { kind: 'missing' } | { kind: 'bad'; reason: string } | { kind: 'ok'; body: Body; legacy: boolean };

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const firstIssue = (e: z.ZodError): string => formatIssues(e.issues, 1);

/** Read the kernel boot id, or a per-process fallback (then a restart counts as a new boot: conservative). */
export function readBootId(path = '/proc/sys/kernel/random/boot_id'): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return `unknown-${process.pid}-${Date.now()}`;
  }
}

/**
 * Persisted controller state (docs/pump.md Safety 1). Remaining times are stored as seconds with the
 * boot id and the boot-relative uptime: within the same boot the time that passed while we were
 * down is subtracted (uptime is monotonic, unlike the wall clock); after a reboot nobody knows how
 * long we were down, so the full remaining lockout/hold is kept (never shortened by a clock jump).
 *
 * Integrity (issue 12; SD-card corruption is the most common Pi failure): each write goes to a
 * temp file, is fsynced, renamed over the file and the directory fsynced; the file carries a
 * SHA-256 of its body. Before the rename the current file (only if it verified) is kept as
 * `<path>.prev` by a hard link, so there is no instant without a current file. A file that cannot
 * be read, parsed, verified or that breaks the strict schema is `lost`, never "start without it".
 */
export class PumpStateStore {
  readonly path: string;
  readonly prevPath: string;
  private readonly tmpPath: string;
  private readonly bootId: string;
  private readonly uptimeS: () => number;
  /** The file on disk now verified (at load or because we wrote it): only then is it kept as `.prev`. */
  private currentGood = false;
  /** The last save's error, null after a successful save (health: state_write_failed, issue 12). */
  lastWriteError: string | null = null;

  constructor(opts: StateStoreOptions) {
    this.path = opts.path;
    this.prevPath = `${opts.path}.prev`;
    this.tmpPath = `${opts.path}.tmp`;
    this.bootId = opts.bootId ?? readBootId();
    this.uptimeS = opts.uptimeS ?? uptime;
  }

  /** Load, verify and age the state (see {@link LoadOutcome}). Never throws. */
  load(): LoadOutcome {
    const cur = this.readFile(this.path);
    if (cur.kind === 'ok') {
      this.currentGood = true;
      return { kind: 'ok', state: this.age(cur.body), legacy: cur.legacy };
    }
    const prev = this.readFile(this.prevPath);
    const previous = prev.kind === 'ok' ? this.age(prev.body) : null;
    if (cur.kind === 'missing') {
      // Only a directory with no trace of a state file is a first boot. A previous copy or a temp
      // file without the file itself means it was there and is gone (fsck, a bad sector).
      if (prev.kind === 'missing' && !existsSync(this.tmpPath)) return { kind: 'none' };
      return { kind: 'lost', reason: `pump state file ${this.path} is missing but ${prev.kind !== 'missing' ? this.prevPath : this.tmpPath} exists`, previous };
    }
    this.keepCorrupt();
    return { kind: 'lost', reason: `pump state file ${this.path} ${cur.reason} (kept as ${this.path}.corrupt)`, previous };
  }

  /** Atomic, checksummed write: temp file, fsync, keep the previous good copy, rename, fsync the directory. */
  save(state: PersistedPumpState): Result<void> {
    const body = JSON.stringify({ ...state, bootId: this.bootId, savedUptimeS: this.uptimeS() });
    const text = JSON.stringify({ format: 2, sha256: sha256(body), body }) + '\n';
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const fd = openSync(this.tmpPath, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (this.currentGood) this.keepPrevious();
      renameSync(this.tmpPath, this.path);
      const dfd = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
      this.currentGood = true;
      this.lastWriteError = null;
      return ok(undefined);
    } catch (err) {
      this.lastWriteError = `cannot write pump state ${this.path}: ${(err as Error).message}`;
      return fail(this.lastWriteError);
    }
  }

  /**
   * `<path>.prev` ← the current (verified) file: a hard link (no data written), else a copy.
   * Best effort: failing to keep the old copy (the file vanished, no space for a copy) must never
   * stop the new state from being written.
   */
  private keepPrevious(): void {
    const t = `${this.prevPath}.tmp`;
    try {
      rmSync(t, { force: true });
      try {
        linkSync(this.path, t);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        copyFileSync(this.path, t); // filesystems without hard links
        const fd = openSync(t, 'r+');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      renameSync(t, this.prevPath);
    } catch {
      rmSync(t, { force: true });
    }
  }

  /** Keep the file that failed verification as `<path>.corrupt` for the operator (best effort). */
  private keepCorrupt(): void {
    try {
      copyFileSync(this.path, `${this.path}.corrupt`);
    } catch {
      // unreadable files may not copy either; the log line names the cause
    }
  }

  private readFile(path: string): Read {
    if (!existsSync(path)) return { kind: 'missing' };
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      return { kind: 'bad', reason: `is unreadable (${(err as Error).message})` };
    }
    const parsed = parseJson(text);
    if (!parsed.ok) return { kind: 'bad', reason: `is not valid JSON: truncated or garbage (${parsed.reason.replace(/^non_json: /, '')})` };
    const raw = parsed.value;
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('format' in raw) && (raw as { v?: unknown }).v === 1) {
      const l = legacySchema.safeParse(raw);
      if (!l.success) return { kind: 'bad', reason: `(legacy, no checksum) fails the schema (${firstIssue(l.error)})` };
      return { kind: 'ok', body: { ...l.data, stateLost: false }, legacy: true };
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success) return { kind: 'bad', reason: `has an unknown layout (${firstIssue(env.error)})` };
    if (sha256(env.data.body) !== env.data.sha256) return { kind: 'bad', reason: 'fails its checksum (corrupted on disk)' };
    const inner = parseJson(env.data.body);
    if (!inner.ok) return { kind: 'bad', reason: 'has a body that is not JSON' };
    const b = bodySchema.safeParse(inner.value);
    if (!b.success) return { kind: 'bad', reason: `fails the schema (${firstIssue(b.error)})` };
    return { kind: 'ok', body: b.data, legacy: false };
  }

  private age(body: Body): PersistedPumpState {
    const { bootId, savedUptimeS, ...state } = body;
    const elapsed = bootId === this.bootId ? Math.max(0, this.uptimeS() - savedUptimeS) : 0;
    const age = (s: number) => Math.max(0, s - elapsed);
    return {
      ...state,
      holdRemainingS: age(state.holdRemainingS),
      lockoutRemainingS: age(state.lockoutRemainingS),
      // An engine that was on may have kept turning while we were down (until the dead-man, or for
      // the whole downtime without one): within one boot that time counts as used runtime.
      run: state.run ? { ...state.run, usedS: state.run.usedS + (state.run.engineOn ? elapsed : 0), fireOffRemainingS: age(state.run.fireOffRemainingS) } : null,
    };
  }
}
