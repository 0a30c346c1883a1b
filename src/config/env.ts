/**
 * Environment overrides for the common keys (issue 2 "Config"). An override replaces the file's
 * value before validation, so a bad override is reported like a bad file value, naming the key.
 */

/** One supported environment variable and the config key it sets. */
export interface EnvOverride {
  /** Variable name. */
  name: string;
  /** Config path it sets. */
  path: readonly string[];
  /** What the variable means, for the README. */
  doc: string;
  /** Turn the text into the config value (numbers, lists); default: the text itself. */
  parse?: (text: string) => unknown;
}

const toNumber = (t: string): unknown => (/^\s*-?\d+(\.\d+)?\s*$/.test(t) ? Number(t) : t);
const toList = (t: string): unknown => t.split(',').map((s) => s.trim()).filter(Boolean);

/** Every environment variable the loader honours (README lists this table). */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'MQTT_URL', path: ['mqtt', 'url'], doc: 'Broker URL (mqtt://, mqtts://, ws://); unset = embedded broker.' },
  { name: 'MQTT_USERNAME', path: ['mqtt', 'username'], doc: 'Broker user name.' },
  { name: 'MQTT_PASSWORD', path: ['mqtt', 'password'], doc: 'Broker password (never logged).' },
  { name: 'NODE_ID', path: ['node', 'id'], doc: 'Node id used in topics.' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], doc: 'trace, debug, info, warn, error, fatal or silent.' },
  { name: 'WFE_ROLES', path: ['roles'], doc: 'Comma-separated roles, e.g. `camera` or `consensus,pump`.', parse: toList },
  { name: 'HTTP_HOST', path: ['http', 'host'], doc: 'Status page bind address.' },
  { name: 'HTTP_PORT', path: ['http', 'port'], doc: 'Status page port.', parse: toNumber },
  { name: 'ONVIF_USERNAME', path: ['discovery', 'credentials', 'username'], doc: 'ONVIF user for discovery (also `discover` without a config).' },
  { name: 'ONVIF_PASSWORD', path: ['discovery', 'credentials', 'password'], doc: 'ONVIF password for discovery (never logged).' },
];

/**
 * Apply the overrides present in `env` to a copy of `raw`. Empty variables are ignored (systemd
 * `Environment=MQTT_URL=` means unset). Returns the names that were applied, for the start log.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { value: Record<string, unknown>; applied: string[] } {
  const value = structuredClone(raw);
  const applied: string[] = [];
  for (const o of ENV_OVERRIDES) {
    const text = env[o.name];
    if (text === undefined || text === '') continue;
    let cur: Record<string, unknown> = value;
    for (const seg of o.path.slice(0, -1)) {
      const next = cur[seg];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[seg] = {};
      cur = cur[seg] as Record<string, unknown>;
    }
    cur[o.path[o.path.length - 1]] = o.parse ? o.parse(text) : text;
    applied.push(o.name);
  }
  return { value, applied };
}
