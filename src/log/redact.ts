/**
 * Secret redaction for logs, status output and metrics labels. Credentials in URLs
 * (`rtsp://user:pass@host`, `mqtts://u:p@broker`) and fields whose name says secret never leave the
 * process in clear (docs/mqtt-core.md "Security", docs/detector.md "Cameras").
 */

// Everything between `scheme://` and the LAST `@` before the path: a password with a raw `@`
// (`p@ss`) or an empty user (`:secret@`) is hidden whole (URL parsers and ffmpeg split at the last `@`).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^/\s]*@/gi;

// Cameras that take credentials as parameters (`?user=admin&pwd=x`, Dahua's `/user=admin&password=x`):
// the value of a secret-named parameter, up to the next separator.
const PARAM_SECRET = /([?&;/](?:pass(?:word)?|passwd|pwd|token|auth|api_?key|secret)=)[^&;#\s/]*/gi;

/** Replace `user:pass@` in every URL inside `text` with `***@`, and secret-named parameters' values with `***`. */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@').replace(PARAM_SECRET, '$1***');
}

const SECRET_KEY = /pass(word)?|secret|token|credential|private|^key$|apikey|api_key|authorization/i;

/** Deep copy of `value` with secret-named fields replaced by "***" and URLs redacted. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Error) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? '***' : redactDeep(v, depth + 1);
    }
    return out;
  }
  if (value instanceof Error) return { name: value.name, message: redactUrl(value.message) };
  return value;
}
