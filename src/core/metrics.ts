/**
 * Library-free metrics convention: every part exposes `metrics(): MetricSnapshot`, a flat map of
 * counters/gauges. A nested record is one metric with a label (e.g. rejected inputs by reason:
 * `{ rejected: { non_json: 3, oversize: 1 } }`). src/http turns snapshots into Prometheus text at
 * scrape time, so parts never import prom-client (docs/style.md rule 4).
 */
export type MetricSnapshot = Record<string, number | Record<string, number>>;

/** Increment `map[key]` (label counters). */
export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/**
 * How one `metrics()` key is exported (each part declares its own, beside its `metrics()`), so the
 * exporter never guesses a type from a name: Prometheus counters vs gauges, base units (seconds,
 * bytes) with the scale from what the part counts in, and a label name that says what it is.
 */
export interface MetricSpec {
  kind: 'counter' | 'gauge';
  help: string;
  /** Exported name after `wfe_<part>_`, in base units; counters get `_total` if missing. Default: the key. */
  name?: string;
  /** Factor from the part's value to the exported base unit (ms → s: 0.001; MiB → bytes: 1048576). */
  scale?: number;
  /** Label name for a nested record (`{reason: count}`): `reason`, `camera`, `state`... */
  label?: string;
}

/** A part's declarations, by `metrics()` key. */
export type MetricSpecs = Readonly<Record<string, MetricSpec>>;

/** A counter declaration. */
export const counter = (help: string, more: Omit<MetricSpec, 'kind' | 'help'> = {}): MetricSpec => ({ kind: 'counter', help, ...more });
/** A gauge declaration. */
export const gauge = (help: string, more: Omit<MetricSpec, 'kind' | 'help'> = {}): MetricSpec => ({ kind: 'gauge', help, ...more });

/** Milliseconds → seconds. */
export const MS = 0.001;
/** MiB → bytes. */
export const MIB = 1024 * 1024;
