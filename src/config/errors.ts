import type { z } from 'zod';
import { redactDeep } from '../log/redact.js';

/** One config problem: where, what was there, and what is allowed. */
export interface ConfigProblem {
  /** Dotted key, e.g. `pump.timings.maxEngineRuntime` or `cameras[1].id`. */
  key: string;
  /** The value found, as JSON (secrets redacted), or `(missing)`. */
  value: string;
  /** What is allowed / what to do, from the schema. */
  allowed: string;
}

/** `['cameras', 1, 'id']` → `cameras[1].id`. */
export function formatKey(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p as string];
  }
  return cur;
}

/** A value for a problem line: JSON, secrets redacted by the key's last segment, long values cut. */
export function showValue(key: string, v: unknown): string {
  if (v === undefined) return '(missing)';
  // Redact by the last key segment, so `mqtt.password: hunter2` is never echoed back.
  const leaf = key.split(/[.[]/).pop() ?? key;
  const safe = redactDeep({ [leaf]: v }) as Record<string, unknown>;
  const text = JSON.stringify(safe[leaf]);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Turn every zod issue into a problem naming key, value and what is allowed (all at once). */
export function problemsFromZod(error: z.ZodError, input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One problem per unknown key, so each misspelling is named by its own path.
      for (const k of issue.keys) {
        const path = [...issue.path, k];
        const key = formatKey(path);
        out.push({ key, value: showValue(key, valueAt(input, path)), allowed: 'unknown key (misspelt? see the configuration reference in README.md)' });
      }
      continue;
    }
    const key = formatKey(issue.path);
    const raw = 'input' in issue && issue.input !== undefined ? issue.input : valueAt(input, issue.path);
    out.push({ key, value: showValue(key, raw), allowed: issue.message });
  }
  return out;
}

/** Human-readable block listing every problem, one per line. */
export function formatProblems(source: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.key}: got ${p.value}; ${p.allowed}`);
  return `invalid config ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}
