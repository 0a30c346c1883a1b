import type { CameraState } from './cameras.js';
import { GROWING, NONE, type Track } from './tracks.js';
import type { ConsensusStateName, Decision, Evidence } from './types.js';

/**
 * Building a trigger decision and the published state name (docs/consensus.md "Output"). Runs only when
 * a trigger is decided or the state changes, so it may allocate.
 */

/** Inputs of {@link buildDecision} besides the voting cameras. */
export interface DecisionContext {
  id: string;
  triggerCount: number;
  /** True when any listed camera has zones: then `zones` is always present (maybe empty). */
  zonesMapped: boolean;
  /** Bring a track's cached status up to date before it is read. */
  refresh(cam: CameraState, tr: Track): void;
}

/** The decision for the first `n` cameras of `seeing` (creation order). */
export function buildDecision(seeing: readonly CameraState[], n: number, atMono: number, atWallMs: number, ctx: DecisionContext): Decision {
  const cameras: string[] = [];
  const locations: Array<[string, string]> = [];
  const evidence: Evidence[] = [];
  const zones = new Set<string>();
  for (let i = 0; i < n; i++) {
    const cam = seeing[i];
    cameras.push(cam.id);
    for (const z of cam.settings?.zones ?? []) zones.add(z);
    let best: Track | undefined;
    for (const tr of cam.tracks) {
      ctx.refresh(cam, tr);
      if (tr.status === NONE) continue;
      locations.push([cam.id, tr.name]);
      // Evidence names the strongest track: growing beats persistent, then the larger growth ratio.
      if (!best || rank(tr) > rank(best)) best = tr;
    }
    if (best) {
      evidence.push({
        camera: cam.id,
        track: best.name,
        label: best.label,
        maxScore: best.ring.maxScore(),
        earlyMedianArea: best.early,
        lateMedianArea: best.late,
        reason: best.status === GROWING ? 'growing' : 'persistent',
      });
    }
  }
  return {
    id: ctx.id,
    atMono,
    atWallMs,
    triggerCount: ctx.triggerCount,
    cameras,
    locations,
    evidence,
    zones: ctx.zonesMapped ? [...zones] : undefined,
  };
}

function rank(tr: Track): number {
  const ratio = tr.early > 0 ? tr.late / tr.early : 0;
  return (tr.status === GROWING ? 1e6 : 0) + ratio;
}

/** True when `prev` lists exactly the ids of `cams[0..n)`, in order. */
export function sameCameras(prev: readonly string[], cams: readonly CameraState[], n: number): boolean {
  if (prev.length !== n) return false;
  for (let i = 0; i < n; i++) if (prev[i] !== cams[i].id) return false;
  return true;
}

/**
 * State name: during the cooldown `triggered` while enough cameras still see fire, else `cooldown`;
 * outside it `watching` when some camera sees fire, else `idle`.
 */
export function stateName(seeing: number, threshold: number, sinceTriggerMs: number | undefined, cooldownMs: number): ConsensusStateName {
  // max(…, 1): with cooldown 0 the decision instant itself still reads as `triggered`.
  if (sinceTriggerMs !== undefined && sinceTriggerMs < Math.max(cooldownMs, 1)) return seeing >= threshold ? 'triggered' : 'cooldown';
  return seeing > 0 ? 'watching' : 'idle';
}
