import type { HealthProblem, HealthStatus } from '../topics/payloads.js';
import type { ClockSyncState } from './clock-sync.js';
import type { CameraSourceSnapshot, ConsensusSourceSnapshot, DetectorSourceSnapshot, ListenerSnapshot, MqttSourceSnapshot, PumpSourceSnapshot } from './sources.js';

/**
 * Pure health evaluator: part snapshots in, `ok | degraded | failed` with reasons out
 * (docs/topics.md `system/<node>/health`, issue 7 "Telemetry"). No I/O and no clock, so every rule is a
 * table-driven unit test.
 *
 * - `degraded`: the node still protects the property but something needs attention — a camera is
 *   down, the broker is unreachable or FAILED (local-first keeps the local pump working), the
 *   outbox is filling (> 80 %), the pump is in ERROR, the clock is not synchronised (expiry checks
 *   are skipped, docs/topics.md "Time"), the clock is further than `telemetry.maxClockSkewSeconds`
 *   from the peers' (`clock_skew`: remote triggers would be refused as expired), an optional listener did not bind, a part's snapshot threw, or
 *   the Pi firmware reports under-voltage or throttling right now.
 * - `failed`: a part reports a terminal failure it will not recover from by itself: the detector
 *   supervisor reached its restart cap (`state: failed`), so this node no longer sees fire; or the
 *   pump's state file was lost or corrupt at boot (`pump_state_lost`): it runs disarmed and locked
 *   out until an operator looks (send reset and arm), so it will not answer a fire by itself.
 */

// Health status values and problems are the topic's (src/topics/payloads.ts, one schema per payload).
export type { HealthProblem, HealthStatus };

/** Everything the evaluator looks at; `null`/empty = the part is not on this node (or unknown). */
export interface HealthInput {
  mqtt: MqttSourceSnapshot | null;
  cameras: readonly CameraSourceSnapshot[];
  detector: DetectorSourceSnapshot | null;
  consensus: ConsensusSourceSnapshot | null;
  pump: PumpSourceSnapshot | null;
  listeners: readonly ListenerSnapshot[];
  clockSync: ClockSyncState;
  /** Parts whose snapshot function threw. */
  sourceErrors: readonly string[];
  /** Pi firmware conditions active now (`under_voltage`, `throttled`, ...); absent off a Pi. */
  throttledNow?: readonly string[];
  /** Measured offset of the local wall clock from the peers' (local − peers; null: no peer heard) and the allowed bound. */
  clockSkew?: { offsetS: number; peers: number; boundS: number } | null;
  /** Free space of the state directory (fs.statfs); absent when not read yet or unreadable. */
  disk?: DiskSnapshot | null;
}

/** Free space of the filesystem holding the state directory (pump state, MQTT outbox). */
export interface DiskSnapshot {
  path: string;
  freeBytes: number;
  totalBytes: number;
  /** Below this, `disk_full`. */
  minFreeBytes: number;
}

/** A write error that means the disk is full (Node's error code text in the message). */
const NO_SPACE = /ENOSPC|EDQUOT|no space left/i;

/** Outcome of {@link evaluateHealth}. */
export interface HealthVerdict {
  status: HealthStatus;
  problems: HealthProblem[];
}

/** Fill ratio above which the outbox counts as filling (issue 7). */
export const OUTBOX_FILLING_RATIO = 0.8;

const UNREACHABLE = new Set(['DISCONNECTED', 'CONNECTING', 'RECONNECTING']);

function outboxRatio(m: MqttSourceSnapshot): number {
  const byCount = m.outboxMax && m.outboxMax > 0 && m.outboxDepth !== undefined ? m.outboxDepth / m.outboxMax : 0;
  const byBytes = m.outboxMaxBytes && m.outboxMaxBytes > 0 && m.outboxBytes !== undefined ? m.outboxBytes / m.outboxMaxBytes : 0;
  return Math.max(byCount, byBytes);
}

/** Evaluate the node's health from its parts' snapshots. */
export function evaluateHealth(input: HealthInput): HealthVerdict {
  const problems: HealthProblem[] = [];
  const degraded = (code: string, message: string, subject?: string): void => {
    problems.push({ code, severity: 'degraded', message, ...(subject !== undefined ? { subject } : {}) });
  };

  const m = input.mqtt;
  if (m) {
    if (m.state === 'FAILED') degraded('mqtt_failed', 'MQTT link FAILED after repeated attempts; still probing. Check broker address, credentials and network.');
    else if (UNREACHABLE.has(m.state)) degraded('mqtt_unreachable', `MQTT broker unreachable (${m.state}); messages wait in the outbox.`);
    const ratio = outboxRatio(m);
    if (ratio > OUTBOX_FILLING_RATIO) degraded('outbox_filling', `MQTT outbox ${Math.round(ratio * 100)} % full; oldest low-priority messages will be dropped when full.`);
  }
  for (const c of input.cameras) {
    if (c.status !== 'online') degraded('camera_down', `camera ${c.id} is ${c.status}${c.error ? `: ${c.error}` : ''}`, c.id);
  }
  if (input.detector?.state === 'failed') {
    problems.push({ code: 'detector_failed', severity: 'failed', message: `detector stopped after its restart cap${input.detector.error ? `: ${input.detector.error}` : ''}; this node no longer detects fire. Restart the service.` });
  }
  if (input.pump?.state === 'ERROR') {
    degraded('pump_error', `pump in ERROR${input.pump.error ? ` (${input.pump.error})` : ''}; it will not start until an operator sends reset.`);
  }
  for (const f of input.consensus?.frigateSizesLearned ?? []) {
    degraded(
      'frigate_size_learned',
      `Frigate camera ${f.camera} sends boxes beyond ${f.assumed.width}x${f.assumed.height}; consensus uses ${f.learned.width}x${f.learned.height} learned from them. Set consensus.cameras.${f.camera}: {width, height} to its Frigate detect size (masks and the area limits depend on it).`,
      f.camera,
    );
  }
  // Issue 17: a trigger the broker took but no pump reported. Still being re-sent: degraded; expired
  // with no report: failed, because no pump is known to be fighting the fire it was decided for.
  const ta = input.consensus?.triggerAcks ?? null;
  if (ta?.unacknowledged) {
    problems.push({
      code: 'trigger_unacknowledged',
      severity: 'failed',
      subject: ta.unacknowledged.id,
      message: `trigger ${ta.unacknowledged.id} was not acknowledged by any pump before it expired (re-sent ${ta.unacknowledged.resends} times): no pump is known to have acted on it. Check the pump nodes (online, subscribed to fire/trigger, broker ACL).`,
    });
  }
  for (const p of ta?.pending ?? []) {
    if (p.ageS >= ta!.resendSeconds) degraded('trigger_not_acknowledged_yet', `trigger ${p.id} not acknowledged by any pump yet (${Math.round(p.ageS)} s, re-sent ${p.resends} times)`, p.id);
  }
  if (input.pump?.stateLost === true) {
    problems.push({
      code: 'pump_state_lost',
      severity: 'failed',
      message: 'pump state file was lost or corrupt at boot: the pump is disarmed and locked out and will NOT start on a fire trigger (manual start still works). Check the SD card, then send reset and arm.',
    });
  }
  if (input.clockSync === 'unsynced') {
    degraded('clock_not_synced', 'system clock not synchronised (NTP); trigger/command expiry checks are skipped until it is.');
  }
  const sk = input.clockSkew;
  if (sk && Math.abs(sk.offsetS) > sk.boundS) {
    const off = Math.round(Math.abs(sk.offsetS));
    degraded(
      'clock_skew',
      `system clock is ${off} s ${sk.offsetS > 0 ? 'ahead of' : 'behind'} its peers (${sk.peers} heard; allowed ${sk.boundS} s): ` +
        `remote triggers and commands will be ${sk.offsetS > 0 ? 'refused as expired' : 'refused as from the future or kept too long'}. Check NTP on this node and its peers.`,
    );
  }
  for (const l of input.listeners) {
    if (!l.ok) degraded('listener_failed', `${l.name} listener not running${l.reason ? `: ${l.reason}` : ''}`, l.name);
  }
  for (const part of input.sourceErrors) degraded('status_unavailable', `could not read the ${part} status`, part);
  // Disk faults (issue 12): a full or failing disk used to appear only in the error log while health
  // said ok. The pump state file holds lockouts and holds across restarts, the outbox holds messages
  // across broker outages: neither is durable while these problems last.
  const stateErr = input.pump?.stateWriteError ?? null;
  const outboxErr = m?.outboxWriteError ?? null;
  const d = input.disk ?? null;
  const lowSpace = d !== null && d.freeBytes < d.minFreeBytes;
  if (lowSpace || [stateErr, outboxErr].some((e) => e !== null && NO_SPACE.test(e))) {
    const space = d ? `${(d.freeBytes / 1048576).toFixed(1)} MB free of ${(d.totalBytes / 1048576).toFixed(1)} MB on ${d.path}` : 'no space left on the state directory';
    degraded('disk_full', `disk full: ${space}; the pump state and the MQTT outbox cannot be saved. Free space (logs, old files) on that filesystem.`, d?.path);
  }
  if (stateErr !== null) {
    degraded('state_write_failed', `pump state not saved (${stateErr}); a restart would lose the lockout, hold and arm state held in memory. Fix the disk.`);
  }
  if (outboxErr !== null) {
    degraded('outbox_write_failed', `MQTT outbox not written to disk (${outboxErr}); queued messages are kept in memory only and are lost on a restart. Fix the disk.`);
  }
  const fw = input.throttledNow ?? [];
  if (fw.includes('under_voltage')) degraded('under_voltage', 'Pi power supply under-voltage: use a proper 5 V supply (brown-outs corrupt SD cards and reboot the Pi).');
  if (fw.includes('throttled')) degraded('cpu_throttled', 'Pi CPU throttled (temperature or power): detection runs slower; improve cooling.');

  const status: HealthStatus = problems.some((p) => p.severity === 'failed') ? 'failed' : problems.length > 0 ? 'degraded' : 'ok';
  return { status, problems };
}
