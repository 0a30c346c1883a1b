/**
 * Placeholder values (issue 12 item 2). `deploy/install.sh` and `deploy/config.example.yaml` write
 * values only the site knows as placeholders (`rtsp://CHANGE-ME/stream`, `password: change-me`, the
 * example's cameras and webhook). A node must never run on them: a placeholder camera never
 * connects, so the node watches nothing while health shows a "configured" node, and a copied example
 * password or webhook topic is public. The loader refuses a config holding any of them, naming the
 * key and what to put there, so `check-config` fails and `run` refuses to start.
 */

/** The marker the installer and the example use for "edit this" (any case; `-`, `_` or nothing between). */
const MARKER = /(^|[^a-z0-9])change[-_]?me([^a-z0-9]|$)/i;

/**
 * Exact values shipped as examples (deploy/config.example.yaml, README snippets). Kept even after the
 * example changes, so a config copied from an older example is still caught.
 */
export const EXAMPLE_VALUES: readonly string[] = [
  'rtsp://viewer:secret@192.168.1.50:554/stream2',
  'rtsp://viewer:secret@192.168.1.51:554/stream2',
  'https://ntfy.sh/my-secret-topic',
  '...',
];

/** One placeholder found: where it is and what belongs there. */
export interface PlaceholderIssue {
  path: Array<string | number>;
  message: string;
}

/** What to write instead, by the key's shape (the message must say what to edit). */
function whatBelongs(path: ReadonlyArray<string | number>): string {
  const key = path.filter((p) => typeof p === 'string').join('.');
  if (key === 'cameras.url') return "your camera's stream URL (rtsp://user:password@address/path, or a device/file)";
  if (key === 'mqtt.password') return 'the password created for this node with mosquitto_passwd on the broker';
  if (key === 'mqtt.username') return "this node's broker user name";
  if (key === 'mqtt.url') return "your broker's URL (or remove mqtt.url for the embedded broker)";
  if (key.startsWith('notify.')) return 'your own webhook URL (or remove the webhook)';
  return 'the real value for this site';
}

/** True when a string is a placeholder left from the installer or an example. */
export function isPlaceholder(value: string): boolean {
  return MARKER.test(value) || EXAMPLE_VALUES.includes(value.trim());
}

/** Every placeholder string anywhere in a raw config (keys are walked, values are judged). */
export function placeholderIssues(raw: unknown): PlaceholderIssue[] {
  const out: PlaceholderIssue[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, path: Array<string | number>): void => {
    if (typeof v === 'string') {
      if (isPlaceholder(v)) out.push({ path, message: `placeholder value left from the installer or the example config: replace it with ${whatBelongs(path)}` });
      return;
    }
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(raw, []);
  return out;
}
