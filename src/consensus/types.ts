/**
 * Normalised inputs and decisions of the consensus engine. Input adapters (src/consensus/inputs)
 * turn every wire format into these; the engine never sees JSON.
 */

/** Which adapter produced an observation (for counters and logs). */
export type InputSource = 'own' | 'legacy' | 'frigate';

/** One box on one camera, normalised to [0, 1] as `[x1, y1, x2, y2]`. Reusable by the caller. */
export interface Observation {
  label: string;
  score: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  /** Producer's object/track id; undefined = the engine associates by IoU. */
  track?: string | number;
  /** Frigate `type: end`: close this track instead of adding a sample. */
  end?: boolean;
}

/** One message's worth of observations from one camera. */
export interface ObservationBatch {
  source: InputSource;
  camera: string;
  /** Node that owns the camera (own messages' `node_id`), for node availability. */
  node?: string;
  /** Message id for de-duplication; undefined = no de-duplication. */
  messageId?: string;
  /** Capture time, wall-clock epoch ms; undefined = arrival. */
  capturedAtWallMs?: number;
  /** Lowest score (inclusive) an observation needs: the detector's threshold or `minConfidence`. */
  minScore?: number;
  /** Observations; only the first `count` are used when `count` is given (lets callers reuse arrays). */
  items: readonly Observation[];
  count?: number;
}

/** What the engine did with a batch. */
export interface IngestOutcome {
  /** Whole-batch rejection reason code, when rejected (duplicate, unlisted_camera, camera_cap). */
  rejected?: string;
  /** Observations that became samples. */
  accepted: number;
  /** True when the capture time was older than the window (history only, no decision). */
  stale: boolean;
  /** The trigger decided while processing this batch, if any. */
  decision?: Decision;
}

/** Evidence for one camera (TOPICS/CONSENSUS "Output"). */
export interface Evidence {
  camera: string;
  track: string;
  label: string;
  maxScore: number;
  earlyMedianArea: number;
  lateMedianArea: number;
  reason: 'growing' | 'persistent';
}

/** A trigger decision. */
export interface Decision {
  /** Unique id (injected factory). */
  id: string;
  /** Monotonic ms and wall-clock epoch ms of the decision. */
  atMono: number;
  atWallMs: number;
  /** 1 for the first trigger of this process, then 2, 3, ... */
  triggerCount: number;
  /** Voting cameras in creation order. */
  cameras: string[];
  /** `[camera, track]` for every track that sees fire on a voting camera. */
  locations: Array<[string, string]>;
  evidence: Evidence[];
  /** Union of the voting cameras' zones; undefined when no camera has zones configured. */
  zones?: string[];
}

/** Consensus state names (docs/topics.md `consensus/<node>/state`). */
export type ConsensusStateName = 'idle' | 'watching' | 'triggered' | 'cooldown';

/** Engine state as published. */
export interface EngineState {
  state: ConsensusStateName;
  camerasSeeingFire: string[];
  threshold: number;
  lastTrigger: { id: string; atWallMs: number } | null;
}

/** One camera in a snapshot. */
export interface CameraSnapshot {
  id: string;
  node: string | null;
  /** Last reported status, `unknown` when never seen. */
  status: 'online' | 'offline' | 'error' | 'unknown';
  /** True when the camera currently may vote (status, node availability, timeout). */
  voting: boolean;
  /**
   * Whether the camera's node is alive (its `system/<node>/availability`); null when the node is
   * not known. A dead node's retained `camera/<id>/status` still says `online` (its will covers
   * only the node), so dashboards show {@link effectiveStatus}, which combines both (issue 17).
   */
  nodeOnline: boolean | null;
  /** `status`, except `offline` while the camera's node is offline. */
  effectiveStatus: 'online' | 'offline' | 'error' | 'unknown';
  seesFire: boolean;
  tracks: number;
  /** Milliseconds since the camera was last heard from; null when never. */
  silentMs: number | null;
  listed: boolean;
}

/** Full engine snapshot (status page, health). */
export interface EngineSnapshot extends EngineState {
  triggerCount: number;
  cameras: CameraSnapshot[];
  lastDecision: Decision | null;
}

/**
 * What the status page draws (its incident timeline): each camera's tracks over the growth window,
 * with the growth rule's medians. Built on demand for the page, never on the detection path.
 */
export interface ConsensusTimeline {
  /** Wall-clock epoch ms this was taken. */
  atWallMs: number;
  /** Growth window, ms (Frigate's when a Frigate track is shown and its window is longer). */
  windowMs: number;
  cameras: Array<{
    id: string;
    seesFire: boolean;
    tracks: Array<{
      track: string;
      label: string;
      source: InputSource;
      status: 'none' | 'growing' | 'persistent';
      /** Growth medians of the last evaluation (0 with too few samples). */
      early: number;
      late: number;
      /** Last box, normalised [x1, y1, x2, y2]. */
      box: [number, number, number, number];
      /** `[wall ms, score, area]`, oldest first, at most {@link TIMELINE_MAX_SAMPLES}. */
      samples: Array<[number, number, number]>;
    }>;
  }>;
}

/** Samples per track in a {@link ConsensusTimeline} (the newest kept). */
export const TIMELINE_MAX_SAMPLES = 120;
