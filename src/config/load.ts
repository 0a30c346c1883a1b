import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { applyAssetDefaults } from './assets.js';
import { applyEnvOverrides } from './env.js';
import { formatKey, formatProblems, problemsFromZod, showValue, type ConfigProblem } from './errors.js';
import { placeholderIssues } from './placeholders.js';
import { MIGRATIONS, migrateRaw, type Migration } from './migrate.js';
import { buildConfigSchema, crossPartIssues, ROLES, systemConfigEnvironment, type AppConfig, type ConfigEnvironment } from './schema.js';

/** A loaded config plus what the loader did to get it (for the start log). */
export interface LoadedConfig {
  config: AppConfig;
  /** Where it came from (file path or a label such as `demo`). */
  source: string;
  /** Environment variables that overrode file values. */
  envApplied: string[];
  /** Set when the file was an older format and was migrated. */
  migratedFrom?: number;
  /** Copy of the original file written before the migrated one replaced it. */
  backupPath?: string;
}

/** Result of loading: every problem at once, never a partial config. */
export type LoadResult =
  | { ok: true; value: LoadedConfig }
  | { ok: false; reason: string; problems: ConfigProblem[] };

/** Options shared by {@link parseConfigObject} and {@link loadConfigFile}. */
export interface ParseOptions {
  /** Environment variables (overrides); default none for objects, `process.env` for files. */
  env?: Record<string, string | undefined>;
  /** Host facts the defaults come from; default the real machine. */
  environment?: ConfigEnvironment;
  /** Migration table (tests inject one). */
  migrations?: Readonly<Record<number, Migration>>;
}

/** The raw input seen with the defaults the cross-part rules need (roles: all; no cameras). */
function rawView(raw: Record<string, unknown>): { roles: string[]; pump: { driver?: unknown; pins: { confirmed?: unknown } }; cameras: Array<{ id?: unknown }> } {
  const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : {});
  const roles = Array.isArray(raw.roles) ? raw.roles.filter((r): r is string => typeof r === 'string') : [...ROLES];
  const cameras = Array.isArray(raw.cameras) ? raw.cameras.map((c) => obj(c)) : [];
  const pump = obj(raw.pump);
  return { roles, pump: { driver: pump.driver, pins: { confirmed: obj(pump.pins).confirmed } }, cameras };
}

/** Placeholders as problems (values redacted like any other problem value). */
function placeholderProblems(input: unknown): ConfigProblem[] {
  return placeholderIssues(input).map((i) => {
    const key = formatKey(i.path);
    return { key, value: showValue(key, i.path.length ? valueAtPath(input, i.path) : input), allowed: i.message };
  });
}

function valueAtPath(input: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur = input;
  for (const p of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[p] : undefined;
  return cur;
}

function failWith(source: string, problems: ConfigProblem[]): LoadResult {
  return { ok: false, reason: formatProblems(source, problems), problems };
}

/** Validate an in-memory raw config (demo, tests, the file loader). */
export function parseConfigObject(raw: unknown, source: string, opts: ParseOptions = {}): LoadResult {
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return failWith(source, [{ key: '(root)', value: JSON.stringify(raw), allowed: 'the config must be a mapping of keys (YAML or JSON object)' }]);
  }
  // zod drops `__proto__` keys without a word (prototype-pollution guard): a camera listed under
  // that name would vanish from an allow-list. Refuse such keys by name instead.
  const proto = protoKeyPaths(raw);
  if (proto.length) return failWith(source, proto.map((p) => ({ ...p, allowed: '"__proto__" is not allowed as a key; use another name' })));
  const mig = migrateRaw(raw as Record<string, unknown>, opts.migrations ?? MIGRATIONS);
  if (!mig.ok) return failWith(source, [{ key: 'version', value: JSON.stringify((raw as Record<string, unknown>).version), allowed: mig.reason }]);
  const { value: withEnv, applied } = applyEnvOverrides(mig.value.value, opts.env ?? {});
  const schema = buildConfigSchema(opts.environment ?? systemConfigEnvironment(opts.env ?? {}));
  const input = applyAssetDefaults(withEnv);
  const parsed = schema.safeParse(input);
  // Placeholders are judged on what the file (and env) said, before asset defaults.
  const placeholders = placeholderProblems(withEnv);
  if (parsed.success && placeholders.length > 0) return failWith(source, placeholders);
  if (!parsed.success) {
    // Cross-part rules only run on an otherwise valid config; check them on the raw input too so
    // one round of fixes is enough (every problem at once).
    const problems = problemsFromZod(parsed.error, input);
    for (const i of crossPartIssues(rawView(input))) {
      const key = formatKey(i.path);
      if (!problems.some((p) => p.key === key || p.key.startsWith(`${key}.`) || p.key.startsWith(`${key}[`))) {
        problems.push({ key, value: i.input === undefined ? '(missing)' : JSON.stringify(i.input), allowed: i.message });
      }
    }
    for (const p of placeholders) if (!problems.some((q) => q.key === p.key)) problems.push(p);
    return failWith(source, problems);
  }
  return {
    ok: true,
    value: {
      config: parsed.data,
      source,
      envApplied: applied,
      ...(mig.value.migrated ? { migratedFrom: mig.value.from } : {}),
    },
  };
}

/** Dotted paths of every own `__proto__` key in `raw` (YAML anchors may share nodes: each is visited once). */
function protoKeyPaths(raw: unknown): Array<{ key: string; value: string }> {
  const found: Array<{ key: string; value: string }> = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: Array<string | number>): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...path, i]));
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (k === '__proto__') found.push({ key: formatKey([...path, k]), value: typeof x === 'object' && x !== null ? (Array.isArray(x) ? '(a list)' : '(a mapping)') : String(JSON.stringify(x)) });
      else walk(x, [...path, k]);
    }
  };
  walk(raw, []);
  return found;
}

/** Parse YAML (JSON is YAML) text; syntax errors become problems with line numbers. */
export function parseConfigText(text: string, source: string): { ok: true; value: unknown } | { ok: false; reason: string; problems: ConfigProblem[] } {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({ key: '(syntax)', value: `line ${e.linePos?.[0]?.line ?? '?'}`, allowed: e.message.split('\n')[0] }));
    return { ok: false, reason: formatProblems(source, problems), problems };
  }
  try {
    // yaml's default alias limit (100) stops a "billion laughs" alias bomb, but by throwing a
    // ReferenceError: turn it (and anything else toJS throws) into a config problem.
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    const alias = /alias/i.test(msg);
    const problems = [
      {
        key: alias ? '(aliases)' : '(syntax)',
        value: alias ? 'YAML anchors/aliases that expand beyond the limit' : JSON.stringify(msg),
        allowed: alias
          ? `YAML aliases may expand to at most ${MAX_ALIAS_COUNT} nodes (the file looks like an alias bomb: ${msg}); write the values out or use fewer aliases`
          : `cannot convert the YAML document: ${msg}`,
      },
    ];
    return { ok: false, reason: formatProblems(source, problems), problems };
  }
}

/** Bound on alias expansion (yaml's own default); a real config uses a handful of aliases. */
const MAX_ALIAS_COUNT = 100;

/** Options for {@link loadConfigFile}. */
export interface LoadFileOptions extends ParseOptions {
  /**
   * Write a migrated config back to the file after copying the original to `<file>.v<N>.bak`
   * (`run` does; `check-config` never modifies files). A read-only file is left alone.
   */
  writeMigrated?: boolean;
}

/** Load `--config FILE`: read, parse, migrate (with backup), apply env overrides, validate. */
export function loadConfigFile(path: string, opts: LoadFileOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  if (!existsSync(path)) {
    return failWith(path, [{ key: '(file)', value: JSON.stringify(path), allowed: 'no such file: give an existing YAML or JSON file with --config' }]);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return failWith(path, [{ key: '(file)', value: JSON.stringify(path), allowed: `cannot read: ${(e as Error).message}` }]);
  }
  const raw = parseConfigText(text, path);
  if (!raw.ok) return raw;
  const res = parseConfigObject(raw.value, path, { ...opts, env, environment: opts.environment ?? systemConfigEnvironment(env) });
  if (!res.ok || res.value.migratedFrom === undefined || !opts.writeMigrated) return res;
  // Migrated: keep the original beside it first, then write the new format (docs/style.md rule 6).
  const backupPath = `${path}.v${res.value.migratedFrom}.bak`;
  try {
    if (!existsSync(backupPath)) copyFileSync(path, backupPath);
    const mig = migrateRaw(raw.value as Record<string, unknown>, opts.migrations ?? MIGRATIONS);
    if (mig.ok) writeFileSync(path, stringify(mig.value.value));
    return { ok: true, value: { ...res.value, backupPath } };
  } catch {
    // A read-only config (/etc, owned by root) still runs with the migrated values in memory.
    return res;
  }
}
