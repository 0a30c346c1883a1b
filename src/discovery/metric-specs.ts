import { counter, gauge, MS, type MetricSpecs } from '../core/metrics.js';

/** How the discovery part's `metrics()` keys are exported. */
export const DISCOVERY_METRICS: MetricSpecs = {
  discovery_rounds: counter('Discovery rounds run', { name: 'rounds' }),
  discovery_round_ms: gauge('Duration of the last discovery round', { name: 'round_seconds', scale: MS }),
  discovery_cameras: gauge('Cameras found in the last round', { name: 'cameras' }),
  discovery_unconfigured: gauge('Cameras found in the last round that are not in the config (reported only)', { name: 'unconfigured_cameras' }),
  discovery_moves: counter('Configured cameras followed to a new address', { name: 'camera_moves' }),
  discovery_found: counter('Configured cameras found by their ONVIF identity', { name: 'cameras_found' }),
  discovery_missing: counter('Times a configured ONVIF camera was not found', { name: 'cameras_missing' }),
  discovery_rejected: counter('WS-Discovery datagrams refused', { name: 'rejected_datagrams', label: 'reason' }),
  discovery_query_failures: counter('ONVIF device queries that failed', { name: 'query_failures', label: 'reason' }),
  discovery_round_errors: counter('Discovery rounds that threw (a bug; logged)', { name: 'round_errors' }),
};
