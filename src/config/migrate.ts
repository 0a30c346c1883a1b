import type { Result } from '../core/result.js';
import { CONFIG_VERSION } from './schema.js';

/** Turns a raw config of version `n` into version `n + 1`. Pure: no I/O. */
export type Migration = (raw: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations keyed by the version they upgrade from. Version 1 is the first format, so the table is
 * empty; the hook exists so a future format change keeps old files working (docs/style.md rule 6).
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {};

/** Outcome of {@link migrateRaw}. */
export interface Migrated {
  value: Record<string, unknown>;
  /** Version found in the file (a file without `version` is the current version). */
  from: number;
  /** True when at least one migration ran. */
  migrated: boolean;
}

/** Bring a raw config object up to `target`, one step at a time. */
export function migrateRaw(
  raw: Record<string, unknown>,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
  target: number = CONFIG_VERSION,
): Result<Migrated> {
  const v = raw.version ?? target;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    return { ok: false, reason: `version: got ${JSON.stringify(v)}; must be an integer config format version (current: ${target})` };
  }
  if (v > target) {
    return { ok: false, reason: `version: got ${v}; this wildfire-edge understands up to version ${target}: upgrade wildfire-edge` };
  }
  let value = raw;
  for (let cur = v; cur < target; cur++) {
    const step = migrations[cur];
    if (!step) return { ok: false, reason: `version: got ${v}; no migration from version ${cur} to ${cur + 1} (supported: ${target})` };
    value = { ...step(value), version: cur + 1 };
  }
  return { ok: true, value: { value, from: v, migrated: v !== target } };
}
