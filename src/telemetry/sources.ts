/**
 * What telemetry needs from the other parts, typed loosely on purpose: the wiring (src/app) hands
 * in functions returning each part's snapshot, and those shapes evolve with the parts. Known fields
 * are typed; everything else passes through (`[k: string]: unknown`). The normalisers below read
 * the known fields defensively (a missing or wrongly typed field is treated as absent) so a changed
 * snapshot shape degrades a health field, never crashes the node (docs/design.md "Failure model").
 */

/** MQTT core snapshot (docs/mqtt-core.md "Metrics"). */
export interface MqttSourceSnapshot {
  /** Connection state: DISCONNECTED | CONNECTING | CONNECTED | RECONNECTING | FAILED. */
  state: string;
  outboxDepth?: number;
  outboxMax?: number;
  outboxBytes?: number;
  outboxMaxBytes?: number;
  /** The outbox's last disk write error, null once a write succeeds again. */
  outboxWriteError?: string | null;
  [k: string]: unknown;
}

/** One camera (docs/detector.md; `camera/<camera>/status`). */
export interface CameraSourceSnapshot {
  id: string;
  /** online | offline | error */
  status: string;
  fps?: number | null;
  error?: string | null;
  [k: string]: unknown;
}

/** The detector worker supervisor. `failed` = restart cap reached (terminal). */
export interface DetectorSourceSnapshot {
  state: string;
  error?: string | null;
  [k: string]: unknown;
}

/** Consensus engine (idle | watching | triggered | cooldown). */
export interface ConsensusSourceSnapshot {
  state: string;
  /** Frigate cameras whose detect size was learned from their boxes, not configured. */
  frigateSizesLearned?: ReadonlyArray<{ camera: string; assumed: { width: number; height: number }; learned: { width: number; height: number } }>;
  /** Cameras consensus knows (local and remote) and whether each may vote now (issue 17: health tells who is alive). */
  cameras?: ReadonlyArray<{ id: string; node: string | null; status: string; effectiveStatus?: string; nodeOnline?: boolean | null; voting: boolean; seesFire: boolean; silentMs: number | null }>;
  /** Trigger acknowledgement by the pumps (null when not required). */
  triggerAcks?: {
    pending: ReadonlyArray<{ id: string; ageS: number; resends: number }>;
    unacknowledged: { id: string; ts: number | null; resends: number } | null;
    resendSeconds: number;
  } | null;
  [k: string]: unknown;
}

/** Pump controller (docs/pump.md states; `error` set in ERROR). */
export interface PumpSourceSnapshot {
  state: string;
  error?: string | null;
  /** The pump state file was lost or corrupt at boot and no operator has cleared it (issue 12). */
  stateLost?: boolean;
  /** The pump state file's last write error, null once a save succeeds again. */
  stateWriteError?: string | null;
  [k: string]: unknown;
}

/** An optional listener (status page) and whether it bound. */
export interface ListenerSnapshot {
  name: string;
  ok: boolean;
  reason?: string | null;
}

/** Optional providers of each part's snapshot; a part absent from this node's roles is left out. */
export interface HealthSources {
  mqtt?: () => MqttSourceSnapshot;
  cameras?: () => CameraSourceSnapshot[];
  detector?: () => DetectorSourceSnapshot;
  consensus?: () => ConsensusSourceSnapshot;
  pump?: () => PumpSourceSnapshot;
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
  [k: string]: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/** Read an MQTT snapshot; accepts `state` or `connectionState`, and a nested `outbox: {depth|messages, max|maxMessages}`. */
export function normalizeMqtt(x: unknown): MqttSourceSnapshot | null {
  if (!isObj(x)) return null;
  const state = str(x.state) ?? str(x.connectionState);
  if (!state) return null;
  const ob = isObj(x.outbox) ? x.outbox : {};
  return {
    ...x,
    state,
    outboxDepth: num(x.outboxDepth) ?? num(ob.depth) ?? num(ob.messages),
    outboxMax: num(x.outboxMax) ?? num(ob.max) ?? num(ob.maxMessages),
    outboxBytes: num(x.outboxBytes) ?? num(ob.bytes),
    outboxMaxBytes: num(x.outboxMaxBytes) ?? num(ob.maxBytes),
    outboxWriteError: str(x.outboxWriteError) ?? str(ob.writeError) ?? null,
  };
}

/** Read camera snapshots; entries without an id or status are dropped. */
export function normalizeCameras(x: unknown): CameraSourceSnapshot[] {
  const list = Array.isArray(x) ? x : isObj(x) ? Object.entries(x).map(([id, v]) => (isObj(v) ? { id, ...v } : null)) : [];
  const out: CameraSourceSnapshot[] = [];
  for (const c of list) {
    if (!isObj(c)) continue;
    const id = str(c.id) ?? str(c.camera_id) ?? str(c.camera);
    const status = str(c.status);
    if (id && status) out.push({ ...c, id, status, fps: num(c.fps) ?? null, error: str(c.error) ?? null });
  }
  return out;
}

/** Read a `{state, error?}` snapshot (detector, consensus, pump). */
export function normalizeStateful<T extends { state: string; error?: string | null }>(x: unknown): T | null {
  if (!isObj(x)) return null;
  const state = str(x.state);
  if (!state) return null;
  return { ...x, state, error: str(x.error) ?? null } as unknown as T;
}

/** Read listener snapshots. */
export function normalizeListeners(x: unknown): ListenerSnapshot[] {
  if (!Array.isArray(x)) return [];
  return x.filter(isObj).flatMap((l) => (str(l.name) && typeof l.ok === 'boolean' ? [{ name: l.name as string, ok: l.ok, reason: str(l.reason) ?? null }] : []));
}
