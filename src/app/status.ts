import type { ConsensusSnapshot } from '../consensus/index.js';
import type { ConsensusTimeline } from '../consensus/types.js';
import type { CameraStatusRow } from '../detect/index.js';
import type { StatusSnapshot } from '../http/index.js';
import type { DiscoverySnapshot } from '../discovery/index.js';
import type { MqttCoreSnapshot } from '../mqtt/index.js';
import type { PumpStatus } from '../pump/index.js';
import type { Telemetry } from '../telemetry/index.js';

/** Each part's status, with its own type (issue 15 item 2); absent for parts this node does not run. */
export interface StatusSources {
  nodeId: string;
  version: string;
  roles: readonly string[];
  telemetry: Telemetry;
  mqtt?: () => MqttCoreSnapshot;
  cameras?: () => CameraStatusRow[];
  consensus?: () => ConsensusSnapshot;
  /** The consensus part's incident timeline (tracks over the window). */
  consensusTimeline?: () => ConsensusTimeline;
  /** Null while the pump controller is not built yet. */
  pump?: () => PumpStatus | null;
  /** Discovery's snapshot (issue 16): found cameras, configured ones followed, unconfigured ones. */
  discovery?: () => DiscoverySnapshot;
}

/**
 * The status page snapshot: health from telemetry (one evaluation, shared with `/healthz` and the
 * `system/<node>/health` topic) plus each part's own status passed through (the page shows its
 * fields as they are), with the few names the page reads set from the typed status.
 */
export function buildStatus(src: StatusSources): StatusSnapshot {
  const h = src.telemetry.health();
  const consensus = src.consensus?.();
  const pump = src.pump?.() ?? null;
  const mqtt = src.mqtt?.();
  return {
    node: { id: src.nodeId, version: src.version, roles: [...src.roles], uptime_s: h.uptime_s },
    health: { status: h.status, problems: h.problems, clock_synced: h.clock_synced },
    mqtt: mqtt
      ? { ...mqtt, outboxDepth: h.mqtt?.outbox_depth ?? null, outboxMax: h.mqtt?.outbox_max ?? null }
      : h.mqtt
        ? { state: h.mqtt.state, outboxDepth: h.mqtt.outbox_depth, outboxMax: h.mqtt.outbox_max }
        : null,
    cameras: (src.cameras?.() ?? []).map((c) => ({ ...c })),
    consensus: consensus ? { ...consensus, cameras_seeing_fire: consensus.camerasSeeingFire } : null,
    pump: pump ? { ...pump } : null,
    timeline: src.consensusTimeline?.() ?? null,
    // The page reads only the report; the snapshot's type is the discovery part's.
    ...(src.discovery ? { discovery: { ...src.discovery() } } : {}),
  };
}
