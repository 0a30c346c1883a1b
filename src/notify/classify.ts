import type { AppEvents } from '../bus/index.js';
import { refusalInfo } from '../topics/refusals.js';
import type { NotifyEvent } from './config.js';

/**
 * Pure mapping from bus events to notifications (no I/O, no clock): which changes the owner hears
 * about, with a short human title and the machine-readable detail. Stateful only where a change
 * must be detected (camera online → offline, MQTT → FAILED), so repeated identical statuses are
 * not re-sent.
 */

/** One notification before delivery. */
export interface Notification {
  event: NotifyEvent;
  /** Stable machine name: fire_decided, trigger_unacknowledged, pump_started, pump_running, pump_stopped, trigger_blocked, pump_error, camera_offline, camera_online, mqtt_failed, mqtt_recovered, disk_fault, disk_recovered. */
  kind: string;
  title: string;
  detail: Record<string, unknown>;
}


/** Stateful classifier: one instance per notifier. */
export interface Classifier {
  consensus(e: AppEvents['consensus.state']): Notification | null;
  pumpEvent(e: AppEvents['pump.event']): Notification | null;
  cameraStatus(e: AppEvents['camera.status']): Notification | null;
  mqtt(e: AppEvents['mqtt.connection']): Notification | null;
  health(e: AppEvents['health.changed']): Notification | null;
  triggerUnacknowledged(e: AppEvents['consensus.trigger_unacknowledged']): Notification;
}

/** Health problem codes of disk faults (issue 12): each new one is announced, and their end. */
export const DISK_PROBLEM_CODES: readonly string[] = ['disk_full', 'state_write_failed', 'outbox_write_failed'];

/** Build a classifier for node `nodeId` (used in titles). */
export function createClassifier(nodeId: string): Classifier {
  const cameraDown = new Set<string>();
  // FAILED may be left through CONNECTED directly or via other states: remember it was announced.
  let mqttFailed = false;
  let diskCodes = new Set<string>();
  return {
    triggerUnacknowledged(e) {
      const t = e.trigger;
      return {
        event: 'blocked',
        kind: 'trigger_unacknowledged',
        title: `Fire trigger from ${nodeId} was NOT acknowledged by any pump before it expired: no pump is known to be fighting this fire`,
        detail: { trigger_id: t.id ?? null, cameras: t.consensus_cameras ?? [], zones: t.zones ?? null, resends: e.resends },
      };
    },
    health(e) {
      const now = e.problems.filter((p) => DISK_PROBLEM_CODES.includes(p.code));
      const codes = new Set(now.map((p) => p.code));
      const fresh = now.filter((p) => !diskCodes.has(p.code));
      const had = diskCodes.size > 0;
      diskCodes = codes;
      if (fresh.length > 0) {
        return {
          event: 'error',
          kind: 'disk_fault',
          title: `Disk fault on ${nodeId}: ${fresh.map((p) => p.message).join('; ')}`,
          detail: { codes: [...codes], problems: now },
        };
      }
      if (had && codes.size === 0) return { event: 'error', kind: 'disk_recovered', title: `Disk writes on ${nodeId} work again`, detail: { codes: [] } };
      return null;
    },
    consensus(e) {
      if (!e.decided) return null;
      const t = e.decided;
      const cams = t.consensus_cameras ?? e.cameras_seeing_fire;
      return {
        event: 'fire',
        kind: 'fire_decided',
        title: `FIRE detected on ${nodeId}: ${cams.length} camera(s) agree (${cams.join(', ')}); pump trigger sent`,
        detail: { trigger_id: t.id ?? null, cameras: cams, confidence: t.confidence ?? null, threshold: e.threshold, zones: t.zones ?? null },
      };
    },
    pumpEvent(e) {
      const base = { from: e.from, to: e.to, reason: e.reason };
      if (e.event === 'trigger_refused') {
        // The catalogue says which refusals are routine (de-duplication, input hygiene: docs/pump.md
        // Safety 8); any other, and a code it does not know, is a fire the pump did not act on.
        const info = refusalInfo('trigger', e.reason ?? '');
        if (info.routine) return null;
        return {
          event: 'blocked',
          kind: 'trigger_blocked',
          title: `Fire trigger NOT acted on by the pump of ${nodeId}: ${e.reason ?? 'refused'} (${info.text})`,
          detail: { ...e, explanation: info.text },
        };
      }
      if (e.event !== 'transition' || !e.to || e.from === e.to) return null;
      if (e.to === 'ERROR') {
        return { event: 'error', kind: 'pump_error', title: `Pump of ${nodeId} in ERROR (${e.reason ?? 'unknown'}); it will not start until reset`, detail: base };
      }
      if (e.to === 'PRIMING') return { event: 'pump', kind: 'pump_started', title: `Pump of ${nodeId} starting (${e.reason ?? 'trigger'})`, detail: base };
      if (e.to === 'RUNNING' && e.from === 'STARTING') return { event: 'pump', kind: 'pump_running', title: `Pump of ${nodeId} running`, detail: base };
      if (e.from === 'STOPPING' && (e.to === 'REFILLING' || e.to === 'COOLDOWN')) {
        return { event: 'pump', kind: 'pump_stopped', title: `Pump of ${nodeId} stopped (${e.reason ?? e.to})`, detail: base };
      }
      return null;
    },
    cameraStatus({ camera, status }) {
      if (status.status === 'online') {
        if (!cameraDown.delete(camera)) return null;
        return { event: 'camera', kind: 'camera_online', title: `Camera ${camera} on ${nodeId} is back online`, detail: { camera, status: status.status } };
      }
      if (cameraDown.has(camera)) return null;
      cameraDown.add(camera);
      return {
        event: 'camera',
        kind: 'camera_offline',
        title: `Camera ${camera} on ${nodeId} is ${status.status}${status.error ? `: ${status.error}` : ''}`,
        detail: { camera, status: status.status, error: status.error ?? null, last_frame_at: status.last_frame_at ?? null },
      };
    },
    mqtt(e) {
      if (e.to === 'FAILED' && !mqttFailed) {
        mqttFailed = true;
        return { event: 'mqtt', kind: 'mqtt_failed', title: `${nodeId} cannot reach the MQTT broker (FAILED: ${e.reason}); local pump control continues`, detail: { ...e } };
      }
      if (mqttFailed && e.to === 'CONNECTED') {
        mqttFailed = false;
        return { event: 'mqtt', kind: 'mqtt_recovered', title: `${nodeId} reconnected to the MQTT broker`, detail: { ...e } };
      }
      return null;
    },
  };
}
