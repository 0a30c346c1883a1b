import type { MetricSnapshot, MetricSpecs } from '../core/metrics.js';
import { CONSENSUS_METRICS } from '../consensus/metric-specs.js';
import { CAMERA_METRICS } from '../detect/metric-specs.js';
import { HTTP_METRICS } from '../http/metric-specs.js';
import { MQTT_METRICS } from '../mqtt/metric-specs.js';
import { NOTIFY_METRICS } from '../notify/metric-specs.js';
import { PUMP_METRICS } from '../pump/metric-specs.js';
import { TELEMETRY_METRICS } from '../telemetry/metric-specs.js';
import { ok, type Result } from '../core/result.js';
import { createTelemetryPart, type HealthSources } from '../telemetry/index.js';
import type { PartContext } from '../core/part.js';
import type { AppPart } from './part.js';
import { buildStatus } from './status.js';
import { createHttpPart } from '../http/index.js';
import { createMqttPart } from '../mqtt/index.js';
import { mqttHealthSource } from './mqtt-health-source.js';
import { createNotifyPart } from '../notify/index.js';
import { resolveAsset } from './paths.js';
import { createHomeAssistantPart } from './homeassistant.js';
import { createPumpPart, type GpioDriver, type PumpStatus } from '../pump/index.js';
import { createConsensusPart, type ConsensusSnapshot } from '../consensus/index.js';
import type { ConsensusTimeline } from '../consensus/types.js';
import { cameraRows, createCameraPart, detectorStatus, type CameraStatusRow } from '../detect/index.js';
import { createDiscoveryPart, DISCOVERY_METRICS, discoveryWanted, type DiscoverySnapshot } from '../discovery/index.js';
import type { CameraRole } from '../detect/index.js';

/** Each part's metric declarations (in its own folder), by part name: how /metrics exports them. */
export const METRIC_SPECS: Record<string, MetricSpecs> = {
  mqtt: MQTT_METRICS,
  camera: CAMERA_METRICS,
  consensus: CONSENSUS_METRICS,
  pump: PUMP_METRICS,
  notify: NOTIFY_METRICS,
  telemetry: TELEMETRY_METRICS,
  http: HTTP_METRICS,
  discovery: DISCOVERY_METRICS,
};

/**
 * Stop order (issue 7): the pump is made safe first, then the producers (camera, consensus), then
 * the observers, then the MQTT link (publishes `offline`, flushes the outbox), the broker last.
 */
export const STOP_ORDER: readonly string[] = ['pump', 'discovery', 'camera', 'consensus', 'notify', 'telemetry', 'homeassistant', 'http', 'mqtt', 'broker'];

/** Position of a part in the stop order; parts not listed (test probes) stop just before the link. */
export function stopRank(name: string): number {
  const i = STOP_ORDER.indexOf(name);
  return i >= 0 ? i : STOP_ORDER.indexOf('mqtt') - 0.5;
}

/** Replacement pieces for tests and the demo; production passes none. */
export interface PartOverrides {
  /** Extra parts appended after the built ones (test probes). */
  extraParts?: AppPart[];
  /** Status page: try this many following ports when the configured one is taken (demo). */
  httpPortSearch?: number;
  /** Environment for systemd notification; default process.env. */
  env?: Record<string, string | undefined>;
  /** A ready GPIO driver for the pump (tests and the demo keep the mock's pin timeline). */
  pumpDriver?: GpioDriver;
}

/** What the wiring built, for the app (status page URL, test hooks). */
export interface BuiltParts {
  parts: AppPart[];
  /** The status page URL once bound, else null. */
  statusUrl: () => string | null;
}

/**
 * Build every part the config asks for, in start order: broker + MQTT core → notify → pump
 * (outputs off first, listening before anything can trigger) → consensus → camera → telemetry → http.
 * Building creates objects only; nothing binds or connects until the app starts the parts.
 */
export async function buildParts(ctx: PartContext, overrides: PartOverrides): Promise<Result<BuiltParts>> {
  const { config } = ctx;
  const roles = new Set(config.roles);
  const parts: AppPart[] = [];
  const sources: HealthSources = {};
  const metrics: Record<string, () => MetricSnapshot> = {};

  const mqtt = createMqttPart(ctx);
  ctx.link = mqtt.core;
  parts.push(mqtt);
  sources.mqtt = () => mqttHealthSource(mqtt.core.snapshot(), config.mqtt.outbox);

  // Notifications start right after the link so they hear everything from the pump's boot on
  // (a pump ERROR at boot, the first trigger); built even without webhooks so counters exist.
  parts.push(createNotifyPart(ctx));

  // Telemetry is built first (started late) because consensus and pump read its clock-sync flag.
  const tel = createTelemetryPart(ctx, { sources, env: overrides.env });
  const clockSynced = (): boolean => tel.telemetry.clockSynced();

  // Each part's status goes to health and the status page with its own type (issue 15 item 2).
  let pumpSnap: (() => PumpStatus | null) | undefined;
  if (roles.has('pump')) {
    const p = createPumpPart(ctx, { clockSynced, driver: overrides.pumpDriver });
    parts.push(p);
    pumpSnap = () => p.controller()?.status() ?? null;
    sources.pump = pumpSnap;
  }

  let consensusSnap: (() => ConsensusSnapshot) | undefined;
  let consensusTimeline: (() => ConsensusTimeline) | undefined;
  if (roles.has('consensus')) {
    const c = createConsensusPart(ctx, clockSynced);
    parts.push(c);
    consensusSnap = () => c.status();
    consensusTimeline = () => c.service.timeline();
    sources.consensus = consensusSnap;
  }

  let cameraSnap: (() => CameraStatusRow[]) | undefined;
  let cameraRole: CameraRole | null = null;
  if (roles.has('camera')) {
    const cam = createCameraPart(ctx, { clockSynced, resolveAsset });
    cameraRole = cam.role;
    parts.push(cam);
    cameraSnap = () => cameraRows(cam.status());
    sources.cameras = cameraSnap;
    sources.detector = () => detectorStatus(cam.status());
  }
  let discoverySnap: (() => DiscoverySnapshot) | undefined;
  if (discoveryWanted(ctx)) {
    const d = createDiscoveryPart(ctx, cameraRole);
    parts.push(d);
    discoverySnap = () => d.status();
    sources.discovery = discoverySnap;
  }
  parts.push(tel);
  if (config.homeassistant.discovery) parts.push(createHomeAssistantPart(config, mqtt.core, ctx.version));
  let statusUrl: () => string | null = () => null;
  for (const p of parts) if (p.metrics) metrics[p.name] = p.metrics.bind(p);
  if (config.http.enabled) {
    const http = createHttpPart(ctx, {
      telemetry: tel.telemetry,
      status: () => buildStatus({ nodeId: ctx.nodeId, version: ctx.version, roles: config.roles, telemetry: tel.telemetry, consensus: consensusSnap, consensusTimeline, pump: pumpSnap, cameras: cameraSnap, discovery: discoverySnap, mqtt: () => mqtt.core.snapshot() }),
      metrics,
      metricSpecs: METRIC_SPECS,
      portSearch: overrides.httpPortSearch,
    });
    parts.push(http);
    metrics.http = () => http.metrics?.() ?? {};
    statusUrl = () => http.url();
  }
  parts.push(...(overrides.extraParts ?? []));
  return ok({ parts, statusUrl });
}
