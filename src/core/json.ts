import { fail, ok, type Result } from './result.js';

/**
 * JSON at the boundaries, one way for every part (issue 15: four hand-written parse-then-validate
 * blocks with four error formats). Errors are values (docs/style.md rule 7); every reason starts
 * with a stable code (`non_json`, `schema`) that callers count or re-label, then one detail format:
 * `path.to.field: message; ...` with `(root)` for the payload itself.
 */

/** What the helpers need of a schema (zod's `safeParse`, without importing zod into the core). */
export interface SafeParser<T> {
  safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } };
}

/** Validation issues as one line: the first `max` of them, `path: message` joined by `; `. */
export function formatIssues(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>, max = 3): string {
  if (issues.length === 0) return 'invalid';
  return issues
    .slice(0, max)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parse UTF-8 JSON; `non_json: <the parser's message>` when it is not JSON. */
export function parseJson(text: string | Buffer): Result<unknown> {
  try {
    return ok(JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as unknown);
  } catch (err) {
    return fail(`non_json: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Parse UTF-8 JSON and validate it: `non_json: ...` or `schema: <issues>` when it fails. */
export function parseJsonAs<T>(text: string | Buffer, schema: SafeParser<T>, maxIssues = 3): Result<T> {
  const raw = parseJson(text);
  if (!raw.ok) return raw;
  const r = schema.safeParse(raw.value);
  return r.success ? ok(r.data) : fail(`schema: ${formatIssues(r.error.issues, maxIssues)}`);
}
