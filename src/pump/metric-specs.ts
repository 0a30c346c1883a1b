import { counter, gauge, type MetricSpecs } from '../core/metrics.js';

/** How the pump part's `metrics()` keys are exported. */
export const PUMP_METRICS: MetricSpecs = {
  state: gauge('1 for the pump state now (IDLE, PRIMING, RUNNING, ERROR, ...), 0 for the others', { label: 'state' }),
  armed: gauge('1 when automatic triggers may start the pump'),
  runs_total: counter('Engine runs'),
  runtime_seconds_total: counter('Engine runtime'),
  dry_run_trips_total: counter('Runs stopped for no flow (dry-run protection)'),
  low_pressure_trips_total: counter('Runs stopped for low line pressure'),
  refused_triggers_total: counter('Triggers refused, by reason', { label: 'reason' }),
  refused_commands_total: counter('Commands refused, by reason', { label: 'reason' }),
  stale_timers_total: counter('Timers that fired for a state already left'),
  triggers_deduplicated_total: counter('Triggers seen again by id (the bus and its MQTT echo, redeliveries): routine, not refused'),
  commands_for_other_nodes_total: counter("Commands aimed at another node's pump (ignored)"),
  link_errors: counter('MQTT link calls that threw'),
};
