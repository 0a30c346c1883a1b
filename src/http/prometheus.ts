import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricSnapshot, MetricSpec, MetricSpecs } from '../core/metrics.js';

/**
 * Prometheus text exposition built at scrape time from every part's `metrics(): MetricSnapshot`
 * (src/core/metrics.ts), so parts never import prom-client (docs/style.md rule 4). Each part declares
 * its keys (`<part>/metric-specs.ts`: counter or gauge, the exported name in base units with the
 * scale from what it counts in, the label name of a nested record), so nothing here guesses a type
 * from a name. Names are `wfe_<part>_<name>`, counters end in `_total`. A key nobody declared is
 * still exported (by the old rule: `_total` means counter) and listed in
 * `wfe_metrics_undeclared{metric}` so the omission shows (a test keeps the list empty).
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

function inferred(key: string): MetricSpec {
  return { kind: key.endsWith('_total') ? 'counter' : 'gauge', help: `${key} (undeclared)`, label: 'key' };
}

/** The exported name of `key` under `spec` (base units; counters end in `_total`). */
export function exportedName(prefix: string, part: string, key: string, spec: MetricSpec): string {
  const name = metricName(prefix, part, spec.name ?? key);
  return spec.kind === 'counter' && !name.endsWith('_total') ? `${name}_total` : name;
}

/**
 * prom-client's default Node.js gauges `..._active_handles_total` (and requests, resources) break
 * the rule that only counters end in `_total` (promtool flags them). Each is the sum of the
 * labelled gauge of the same name without the suffix, which stays, so they are left out.
 */
function dropTotalGauges(text: string): string {
  const bad = new Set([...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((m) => m[1]));
  if (bad.size === 0) return text;
  return text
    .split('\n')
    .filter((line) => {
      const m = /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
      return !(m && bad.has(m[1]));
    })
    .join('\n');
}

/** Build the exporter over `parts` (name → snapshot function) with each part's declarations. */
export function createMetricsExporter(parts: Record<string, () => MetricSnapshot>, specs: Record<string, MetricSpecs> = {}, prefix = 'wfe'): MetricsExporter {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults, prefix: `${prefix}_` });
  const sourceErrors: Record<string, number> = {};

  async function render(): Promise<string> {
    const reg = new Registry();
    const seen = new Set<string>();
    const undeclared: string[] = [];
    for (const [part, fn] of Object.entries(parts)) {
      let snap: MetricSnapshot;
      try {
        snap = fn();
      } catch {
        sourceErrors[part] = (sourceErrors[part] ?? 0) + 1;
        continue;
      }
      for (const [key, value] of Object.entries(snap)) {
        let spec = specs[part]?.[key];
        if (!spec) {
          undeclared.push(`${part}.${key}`);
          spec = inferred(key);
        }
        const name = exportedName(prefix, part, key, spec);
        if (seen.has(name)) continue; // two keys exporting one name: keep the first
        const scale = spec.scale ?? 1;
        const help = spec.help;
        const isCounter = spec.kind === 'counter';
        if (typeof value === 'number') {
          if (!Number.isFinite(value)) continue;
          seen.add(name);
          if (isCounter) new Counter({ name, help, registers: [reg] }).inc(Math.max(0, value * scale));
          else new Gauge({ name, help, registers: [reg] }).set(value * scale);
        } else if (value && typeof value === 'object') {
          seen.add(name);
          const label = spec.label ?? 'key';
          const m = isCounter ? new Counter({ name, help, labelNames: [label], registers: [reg] }) : new Gauge({ name, help, labelNames: [label], registers: [reg] });
          for (const [lv, v] of Object.entries(value)) {
            if (typeof v !== 'number' || !Number.isFinite(v)) continue;
            if (m instanceof Counter) m.inc({ [label]: lv }, Math.max(0, v * scale));
            else m.set({ [label]: lv }, v * scale);
          }
        }
      }
    }
    const errs = new Counter({ name: metricName(prefix, 'metrics_source_errors_total'), help: 'metrics() calls that threw, by part', labelNames: ['part'], registers: [reg] });
    for (const [p, n] of Object.entries(sourceErrors)) errs.inc({ part: p }, n);
    const und = new Gauge({ name: metricName(prefix, 'metrics_undeclared'), help: 'metrics() keys exported without a declaration (1 each)', labelNames: ['metric'], registers: [reg] });
    for (const k of undeclared) und.set({ metric: k }, 1);
    return `${dropTotalGauges(await defaults.metrics())}\n${await reg.metrics()}`;
  }

  return { render, contentType: defaults.contentType };
}
