import type { ConsensusSnapshot } from '../consensus/index.js';
import type { CameraSnapshot } from '../consensus/types.js';
import type { CameraStatusRow, DetectorStatus } from '../detect/status.js';
import type { MqttCoreSnapshot } from '../mqtt/core-types.js';
import type { PumpStatus } from '../pump/status.js';

/**
 * Fields `K` of a part's status `T`, read as plain strings: health compares state names with the
 * part's own tables, and a state name a newer part adds must not fail health's types. `K` must be
 * a key of `T`, so renaming the field in the part fails to compile here.
 */
type Named<T, K extends keyof T> = { [P in K]: string };

/**
 * What health reads from each part (issue 15 item 2: typed status end to end). Every field here is
 * named by the producing part's own status type (src/pump/status.ts, src/detect/status.ts,
 * ConsensusSnapshot, MqttCoreSnapshot): the wiring (src/app) passes each part's status as it is,
 * and a field renamed in a part fails to compile here instead of silently becoming null in health.
 * Fields are the subset health reads; optional ones are absent from the bus fallbacks (the last
 * value seen on the bus when a part's status is not wired, src/telemetry/telemetry.ts).
 */

/**
 * The MQTT core's state and outbox fill. The core's snapshot has the depth; the bounds are its
 * configuration, joined by the wiring (src/app/mqtt-health-source.ts).
 */
export interface MqttSourceSnapshot extends Named<MqttCoreSnapshot, 'state'> {
  outboxDepth?: MqttCoreSnapshot['outbox']['depth'];
  outboxMax?: number;
  outboxBytes?: MqttCoreSnapshot['outbox']['bytes'];
  outboxMaxBytes?: number;
  /** The outbox's last disk write error, null once a write succeeds again. */
  outboxWriteError?: MqttCoreSnapshot['outbox']['writeError'];
}

/** One camera of the camera role (docs/detector.md; `camera/<camera>/status`). */
export interface CameraSourceSnapshot {
  id: CameraStatusRow['id'];
  status: CameraStatusRow['status'];
  fps?: CameraStatusRow['fps'] | null;
  error?: CameraStatusRow['error'];
}

/** The detector worker supervisor. `failed` = restart cap reached (terminal). */
export type DetectorSourceSnapshot = Named<DetectorStatus, 'state'> & Partial<Pick<DetectorStatus, 'error'>>;

/** Consensus (idle | watching | triggered | cooldown), the cameras it knows and the trigger acks. */
export interface ConsensusSourceSnapshot {
  state: ConsensusSnapshot['state'];
  /** Frigate cameras whose detect size was learned from their boxes, not configured. */
  frigateSizesLearned?: ConsensusSnapshot['frigateSizesLearned'];
  /** Cameras consensus knows (local and remote) and whether each may vote now (issue 17: health tells who is alive). */
  cameras?: ReadonlyArray<Pick<CameraSnapshot, 'id' | 'node' | 'status' | 'voting' | 'seesFire' | 'silentMs'> & Partial<Pick<CameraSnapshot, 'effectiveStatus' | 'nodeOnline'>>>;
  /** Trigger acknowledgement by the pumps (null when not required). */
  triggerAcks?: Pick<NonNullable<ConsensusSnapshot['triggerAcks']>, 'pending' | 'unacknowledged' | 'resendSeconds'> | null;
}

/** The pump (docs/pump.md states; `error` set in ERROR). */
export type PumpSourceSnapshot = Named<PumpStatus, 'state'> & Partial<Pick<PumpStatus, 'error' | 'armed' | 'stateLost' | 'stateWriteError'>>;

/** An optional listener (status page) and whether it bound. */
export interface ListenerSnapshot {
  name: string;
  ok: boolean;
  reason?: string | null;
}

/** Providers of each part's status; a part absent from this node's roles is left out. */
export interface HealthSources {
  mqtt?: () => MqttSourceSnapshot;
  cameras?: () => CameraSourceSnapshot[];
  detector?: () => DetectorSourceSnapshot;
  consensus?: () => ConsensusSourceSnapshot;
  /** Null while the pump controller is not built yet (its driver opens in prepare). */
  pump?: () => PumpSourceSnapshot | null;
  listeners?: () => ListenerSnapshot[];
  /** Discovery (issue 16): rounds, cameras found, configured identity cameras not found. */
  discovery?: () => DiscoverySourceSnapshot;
}

/** Discovery's summary for health. */
export interface DiscoverySourceSnapshot {
  rounds: number;
  last_round_at: number | null;
  cameras: number;
  unconfigured: number;
  missing: string[];
}
