import { counter, gauge, type MetricSpecs } from '../core/metrics.js';

/** How the consensus part's `metrics()` keys are exported. */
export const CONSENSUS_METRICS: MetricSpecs = {
  state: gauge('1 for the current consensus state (idle, watching, triggered, cooldown), 0 for the others', { label: 'state' }),
  last_trigger_timestamp_seconds: gauge('Wall-clock time of the last trigger this node decided (0 = none)'),
  messages_accepted: counter('Detection messages accepted'),
  detections_accepted: counter('Detections that became samples'),
  rejected: counter('Inputs rejected, by reason', { name: 'rejected_inputs', label: 'reason' }),
  stale_messages: counter('Messages older than the window (history only)'),
  tracks: gauge('Tracks held'),
  cameras: gauge('Cameras known'),
  cameras_online: gauge('Cameras that may vote now', { name: 'cameras_voting' }),
  cameras_seeing_fire: gauge('Voting cameras that see fire'),
  triggers: counter('Triggers decided'),
  tracks_evicted: counter('Tracks evicted at the per-camera cap'),
  cameras_evicted: counter('Cameras evicted at the camera cap'),
  samples_thinned: counter('Samples folded when a track reached its cap'),
  evaluations: counter('Rule evaluations'),
  link_errors: counter('MQTT link calls that threw'),
  trigger_resends: counter('Triggers re-published because no pump had acknowledged them'),
  triggers_acknowledged: counter('Triggers a pump in their zone reported (acted on or refused)'),
  triggers_unacknowledged: counter('Triggers that expired with no pump report'),
  triggers_pending_ack: gauge('Triggers sent and not yet reported by any pump'),
};
