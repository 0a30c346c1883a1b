import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricSnapshot } from '../core/metrics.js';

/**
 * Prometheus text exposition built at scrape time from every part's `metrics(): MetricSnapshot`
 * (src/core/metrics.ts), so parts never import prom-client (STYLE.md rule 4). Names are
 * `wfe_<part>_<key>`; a nested record is one metric with a `key` label
 * (`{rejected: {non_json: 3}}` → `wfe_mqtt_rejected{key="non_json"} 3`). Keys ending in `_total`
 * are counters, everything else a gauge (a snapshot cannot say more).
 */

/** Metric-name-safe form of a part or key name. */
export function metricName(...parts: string[]): string {
  return parts
    .join('_')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/^([0-9])/, '_$1');
}

/** A scraper: process defaults (CPU, heap, event-loop lag) plus the parts' snapshots. */
export interface MetricsExporter {
  /** Prometheus text for one scrape. Never throws: a throwing part is skipped and counted. */
  render(): Promise<string>;
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

/** Build the exporter over `parts` (name → snapshot function). */
export function createMetricsExporter(parts: Record<string, () => MetricSnapshot>, prefix = 'wfe'): MetricsExporter {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix: `${prefix}_` });
  const sourceErrors: Record<string, number> = {};

  async function render(): Promise<string> {
    const reg = new Registry();
    const seen = new Set<string>();
    for (const [part, fn] of Object.entries(parts)) {
      let snap: MetricSnapshot;
      try {
        snap = fn();
      } catch {
        sourceErrors[part] = (sourceErrors[part] ?? 0) + 1;
        continue;
      }
      for (const [key, value] of Object.entries(snap)) {
        const name = metricName(prefix, part, key);
        if (seen.has(name)) continue; // two keys sanitising to one name: keep the first
        const isCounter = key.endsWith('_total');
        const help = `${part}.${key}`;
        if (typeof value === 'number') {
          if (!Number.isFinite(value)) continue;
          seen.add(name);
          if (isCounter) new Counter({ name, help, registers: [reg] }).inc(Math.max(0, value));
          else new Gauge({ name, help, registers: [reg] }).set(value);
        } else if (value && typeof value === 'object') {
          seen.add(name);
          const m = isCounter
            ? new Counter({ name, help, labelNames: ['key'], registers: [reg] })
            : new Gauge({ name, help, labelNames: ['key'], registers: [reg] });
          for (const [label, v] of Object.entries(value)) {
            if (typeof v !== 'number' || !Number.isFinite(v)) continue;
            if (m instanceof Counter) m.inc({ key: label }, Math.max(0, v));
            else m.set({ key: label }, v);
          }
        }
      }
    }
    const errs = new Gauge({ name: metricName(prefix, 'metrics_source_errors_total'), help: 'metrics() calls that threw, by part', labelNames: ['part'], registers: [reg] });
    for (const [p, n] of Object.entries(sourceErrors)) errs.set({ part: p }, n);
    return `${await defaults.metrics()}\n${await reg.metrics()}`;
  }

  return { render, contentType: defaults.contentType };
}
