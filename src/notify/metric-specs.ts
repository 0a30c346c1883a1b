import { counter, type MetricSpecs } from '../core/metrics.js';

/** How the notifier's `metrics()` keys are exported. */
export const NOTIFY_METRICS: MetricSpecs = {
  sent: counter('Webhook notifications delivered'),
  failed: counter('Webhook notifications given up on'),
  retries: counter('Webhook delivery retries'),
  dropped: counter('Notifications dropped (queue full)'),
  notifications: counter('Notifications raised, by event', { label: 'event' }),
};
