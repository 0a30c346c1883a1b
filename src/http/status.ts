import type { ConsensusTimeline } from '../consensus/types.js';

/**
 * What the status page shows (`GET /api/status`, SSE `GET /events`). The wiring (src/app/status.ts)
 * builds it from each part's typed status (src/pump/status.ts, src/detect/status.ts,
 * ConsensusSnapshot, MqttCoreSnapshot); the types here name only what the page itself reads, and
 * the rest of a part's status passes through to the page as JSON, so a part can add a field
 * without touching this folder.
 */

/** Node identity and health. */
export interface StatusNode {
  id: string;
  version: string;
  roles: string[];
  uptime_s?: number;
}

/** Health verdict (src/telemetry HealthPayload subset). */
export interface StatusHealth {
  status: 'ok' | 'degraded' | 'failed';
  problems: Array<{ code: string; message: string; subject?: string }>;
  clock_synced?: boolean;
}

/** One camera row. */
export interface StatusCamera {
  id: string;
  status: string;
  fps?: number | null;
  frames?: number;
  dropped?: number;
  last_frame_at?: number | null;
  error?: string | null;
  [k: string]: unknown;
}

/** The whole snapshot; parts absent from this node's roles are `null`/omitted. */
export interface StatusSnapshot {
  /** Consensus tracks over the growth window (the page's incident timeline); null without consensus. */
  timeline?: ConsensusTimeline | null;
  node: StatusNode;
  health: StatusHealth;
  mqtt?: { state: string; outboxDepth?: number | null; outboxMax?: number | null; [k: string]: unknown } | null;
  cameras?: StatusCamera[];
  /** Discovery (issue 16): the last round's report (cameras found, configured_as, identities); absent without discovery. */
  discovery?: { report?: unknown; [k: string]: unknown } | null;
  consensus?: { state: string; cameras_seeing_fire?: string[]; threshold?: number; [k: string]: unknown } | null;
  pump?: {
    state: string;
    armed?: boolean;
    outputs?: Record<string, boolean>;
    inputs?: Record<string, boolean | null>;
    error?: string | null;
    driver?: string;
    [k: string]: unknown;
  } | null;
}

/** One pump event as the page lists it (bus `pump.event` plus arrival time). */
export interface PageEvent {
  at: number;
  event: string;
  from: string | null;
  to: string | null;
  reason: string | null;
}

/** One pump state as the page's timeline draws it: the state entered at `at` (wall ms). */
export interface PageStateChange {
  at: number;
  state: string;
}

/** What `/api/status` returns: the snapshot plus what the server collected from the bus. */
export interface PageStatus extends StatusSnapshot {
  pumpEvents: PageEvent[];
  /** Pump states over the last minutes (the timeline's pump band), oldest first. */
  pumpStates: PageStateChange[];
  /** How often the server pushes (ms): the page calls itself stale after missing a few. */
  refreshMs: number;
  /** Camera id → wall-clock ms of its last snapshot (the page reloads the image when it changes). */
  snapshots: Record<string, number>;
  generatedAt: number;
}

/** HTML-escape text for the few server-side interpolations (the page builds the rest with textContent). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
