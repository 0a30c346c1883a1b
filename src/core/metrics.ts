/**
 * Library-free metrics convention: every part exposes `metrics(): MetricSnapshot`, a flat map of
 * counters/gauges. A nested record is one metric with a label (e.g. rejected inputs by reason:
 * `{ rejected: { non_json: 3, oversize: 1 } }`). src/http turns snapshots into Prometheus text at
 * scrape time, so parts never import prom-client (STYLE.md rule 4).
 */
export type MetricSnapshot = Record<string, number | Record<string, number>>;

/** Increment `map[key]` (label counters). */
export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}
