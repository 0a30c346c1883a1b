import type { StatusSnapshot } from '../http/index.js';
import type { ConsensusTimeline } from '../consensus/types.js';
import type { Telemetry } from '../telemetry/index.js';

/** Snapshot providers the status page draws from; absent for parts this node does not run. */
export interface StatusSources {
  nodeId: string;
  version: string;
  roles: readonly string[];
  telemetry: Telemetry;
  mqtt?: () => unknown;
  cameras?: () => unknown;
  consensus?: () => unknown;
  /** The consensus part's incident timeline (tracks over the window). */
  consensusTimeline?: () => ConsensusTimeline;
  pump?: () => unknown;
  /** Discovery's snapshot (issue 16): found cameras, configured ones followed, unconfigured ones. */
  discovery?: () => unknown;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The status page snapshot: health from telemetry (one evaluation, shared with `/healthz` and the
 * `system/<node>/health` topic) plus each part's own snapshot passed through, so a part can add a
 * field without touching the wiring.
 */
export function buildStatus(src: StatusSources): StatusSnapshot {
  const h = src.telemetry.health();
  const consensus = src.consensus?.();
  const pump = src.pump?.();
  const mqtt = src.mqtt?.();
  const cams = src.cameras?.();
  const camList = Array.isArray(cams) ? cams : isObj(cams) && Array.isArray(cams.cameras) ? cams.cameras : [];
  return {
    node: { id: src.nodeId, version: src.version, roles: [...src.roles], uptime_s: h.uptime_s },
    health: { status: h.status, problems: h.problems, clock_synced: h.clock_synced },
    mqtt: isObj(mqtt)
      ? { ...mqtt, state: String(mqtt.state ?? mqtt.connectionState ?? h.mqtt?.state ?? 'unknown'), outboxDepth: h.mqtt?.outbox_depth ?? null, outboxMax: h.mqtt?.outbox_max ?? null }
      : h.mqtt
        ? { state: h.mqtt.state, outboxDepth: h.mqtt.outbox_depth, outboxMax: h.mqtt.outbox_max }
        : null,
    cameras: camList.filter(isObj).map((c) => ({ ...c, id: String(c.id ?? c.camera ?? '?'), status: String(c.status ?? 'unknown') })),
    consensus: isObj(consensus)
      ? {
          ...consensus,
          state: String(consensus.state),
          cameras_seeing_fire: Array.isArray(consensus.camerasSeeingFire) ? (consensus.camerasSeeingFire as string[]) : [],
          threshold: typeof consensus.threshold === 'number' ? consensus.threshold : undefined,
        }
      : null,
    pump: isObj(pump) ? { ...pump, state: String(pump.state) } : null,
    timeline: src.consensusTimeline?.() ?? null,
    ...(src.discovery ? { discovery: src.discovery() as Record<string, unknown> } : {}),
  };
}
