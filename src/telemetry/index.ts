/**
 * The telemetry part's public surface: the only module other folders import (docs/style.md rule 1).
 * The service itself is in telemetry.ts.
 */
import type { HealthBody, HealthPayload, TelemetryPayload } from '../topics/payloads.js';

export { telemetryConfigSchema, type TelemetryConfig } from './config.js';
export { evaluateHealth, OUTBOX_FILLING_RATIO, type DiskSnapshot, type HealthInput, type HealthProblem, type HealthStatus, type HealthVerdict } from './health.js';
export { createClockSyncProbe, type ClockSyncProbe, type ClockSyncState, type ClockSyncOptions } from './clock-sync.js';
export { createSystemStats, decodeThrottled, parseThrottled, type SystemStats, type SystemStatsOptions, type TelemetryReading, type ThrottledFlags } from './system-stats.js';
export type { HealthSources, MqttSourceSnapshot, CameraSourceSnapshot, DetectorSourceSnapshot, ConsensusSourceSnapshot, PumpSourceSnapshot, ListenerSnapshot } from './sources.js';
export { createSystemdNotifier, type SystemdNotifier, type SystemdNotifierOptions } from './systemd-notify.js';
export type { CommandRunner } from './command.js';
export { createTelemetry, type TelemetryOptions, type Telemetry } from './telemetry.js';
export { createTelemetryPart, type TelemetryPart, type TelemetryPartOptions } from './part.js';

/**
 * `system/<node>/health` (docs/topics.md): its schema and types live with the other topics
 * (src/topics/payloads.ts `healthPayloadSchema`); telemetry builds the {@link HealthBody}, the MQTT
 * core adds the envelope at encode.
 */
export type { HealthBody, HealthPayload };

/** `system/<node>/telemetry` on the wire (src/topics/payloads.ts `telemetryPayloadSchema`). */
export type { TelemetryPayload };
