import { counter, gauge, type MetricSpecs } from '../core/metrics.js';

/** How the status server's `metrics()` keys are exported. */
export const HTTP_METRICS: MetricSpecs = {
  requests: counter('Requests by route (unknown paths count as "other")', { label: 'route' }),
  sse_clients: gauge('Live views (/events) connected'),
  sse_dropped_slow: counter('Live views dropped for not reading'),
  status_errors: counter('Status snapshots that failed'),
};
