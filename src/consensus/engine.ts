import type { Clock, TimerHandle } from '../core/clock.js';
import { repeatEvery } from '../core/repeat.js';
import type { ConsensusConfig } from './config.js';
import { CameraState, compileCameraSettings, type CameraSettings, type CameraStatusName } from './cameras.js';
import { RecentIds } from './dedup.js';
import { isMasked } from './masks.js';
import { NONE } from './tracks.js';
import { TrackRules } from './track-rules.js';
import { buildDecision, sameCameras, stateName } from './decide.js';
import type { Decision, EngineSnapshot, EngineState, IngestOutcome, ObservationBatch, Observation } from './types.js';
import { TIMELINE_MAX_SAMPLES, type ConsensusTimeline, type InputSource } from './types.js';

/** Bound on remembered offline nodes. */
const MAX_OFFLINE_NODES = 1024;

/** Options of {@link ConsensusEngine}. */
export interface EngineOptions {
  config: ConsensusConfig;
  /** Monotonic time for every rule, wall time only for capture-age and payload times. */
  clock: Clock;
  /** Trigger ids. */
  idFactory: () => string;
  /** False while the wall clock is not synchronised: capture times are then ignored (docs/topics.md "Time"). */
  clockSynced?: () => boolean;
  /** A trigger was decided (called before the state change that announces it). */
  onDecision?: (d: Decision) => void;
  /** The published state changed; `decided` is set when the change is a new trigger. */
  onState?: (s: EngineState, decided?: Decision) => void;
  /** A camera started or stopped voting (status, node availability, silence), with the reason. */
  onCameraVoting?: (camera: string, voting: boolean, reason: string) => void;
}

/** Counters of the engine (the service exports them as metrics). */
export interface EngineCounters {
  messagesAccepted: number;
  detectionsAccepted: number;
  /** Rejected inputs by reason code (adapters add their parse failures here too). */
  rejected: Record<string, number>;
  staleMessages: number;
  tracksEvicted: number;
  camerasEvicted: number;
  /** Samples dropped by thinning a track that reached its sample cap (its span is kept). */
  samplesThinned: number;
  triggers: number;
  evaluations: number;
}

/**
 * The pure consensus engine (docs/consensus.md): normalised observations in, decisions out. No I/O; time
 * comes from the injected Clock, which also owns the evaluation timer. Allocation on the hot path
 * is limited to new tracks/cameras and decisions; growth is computed with preallocated buffers and
 * cached per track until the window or the persistence rule can change it.
 */
export class ConsensusEngine {
  readonly counters: EngineCounters = {
    messagesAccepted: 0, detectionsAccepted: 0, rejected: {}, staleMessages: 0,
    tracksEvicted: 0, camerasEvicted: 0, samplesThinned: 0, triggers: 0, evaluations: 0,
  };
  private readonly cfg: ConsensusConfig;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;
  private readonly labels: Set<string>;
  private readonly listed: Map<string, CameraSettings> | undefined;
  private readonly zonesMapped: boolean;
  /** Cameras in creation order (the order of `consensus_cameras`, scenario 9). */
  private readonly cameras = new Map<string, CameraState>();
  /** The same cameras as an array (iterated on every evaluation without an iterator object). */
  private readonly cameraList: CameraState[] = [];
  private readonly offlineNodes = new Set<string>();
  private readonly recent = new RecentIds(4096);
  private readonly rules: TrackRules;
  private valid = new Uint8Array(256);
  /** Cameras seeing fire at the last evaluation (first `seeingCount` entries). */
  private readonly seeing: CameraState[] = [];
  private seeingCount = 0;
  private batchSeq = 0;
  private triggerCount = 0;
  private lastTriggerMono: number | undefined;
  private lastDecision: Decision | null = null;
  private published: EngineState | undefined;
  private timer: TimerHandle | undefined;

  constructor(private readonly opts: EngineOptions) {
    const c = (this.cfg = opts.config);
    this.clock = opts.clock;
    this.windowMs = c.windowSeconds * 1000;
    this.cooldownMs = c.cooldownSeconds * 1000;
    this.timeoutMs = c.cameraTimeoutSeconds * 1000;
    this.rules = new TrackRules(c, this.counters);
    this.labels = new Set(c.countLabels);
    this.listed = compileCameraSettings(c);
    this.zonesMapped = Object.values(c.cameras ?? {}).some((cam) => cam.zones.length > 0);
    // Listed cameras exist from the start, in config order, so dashboards show silent ones too.
    for (const [id, s] of this.listed ?? []) this.addCamera(new CameraState(id, s));
  }

  /** Settings of a listed camera (adapters need its resolution for pixel boxes). */
  settings(camera: string): CameraSettings | undefined {
    return this.listed?.get(camera);
  }

  /** Count a rejected input (adapters report their parse failures here). */
  reject(reason: string): void {
    this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1;
  }

  /** Arm the evaluation timer (docs/consensus.md: offline cameras and persistence noticed without input). */
  start(): void {
    if (this.timer) return;
    this.timer = repeatEvery(this.clock, this.cfg.evaluateIntervalMs, () => {
      this.tick();
    });
    this.evaluate(this.clock.now(), false);
  }

  /** Cancel the timer. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Timer work: expire tracks, then evaluate (may decide a trigger). Public for tests and tools. */
  tick(): Decision | undefined {
    const now = this.clock.now();
    this.sweep(now);
    return this.evaluate(now, true);
  }

  /** Feed one message's observations. */
  ingest(b: ObservationBatch): IngestOutcome {
    const now = this.clock.now();
    const settings = this.listed?.get(b.camera);
    if (this.listed && !settings) return this.rejectBatch('unlisted_camera');
    const count = b.count ?? b.items.length;
    // Validate before creating anything: a message with nothing usable leaves no trace (scenario 32).
    if (this.valid.length < count) this.valid = new Uint8Array(count);
    let usable = 0;
    for (let i = 0; i < count; i++) {
      const reason = this.check(b.items[i], settings, b.minScore ?? 0);
      this.valid[i] = reason === undefined ? 1 : 0;
      if (reason === undefined) usable++;
      else this.reject(reason);
    }
    if (count > 0 && usable === 0) return { rejected: 'no_usable_detection', accepted: 0, stale: false };
    const cam = this.cameraFor(b.camera, now);
    if (!cam) return this.rejectBatch('camera_cap');
    if (b.messageId !== undefined && this.recent.seen(b.messageId)) return this.rejectBatch('duplicate');

    // Capture time: honoured for history and staleness only while our wall clock is synchronised.
    let t = now;
    let stale = false;
    if (b.capturedAtWallMs !== undefined && (this.opts.clockSynced?.() ?? true)) {
      const age = this.clock.wallNow() - b.capturedAtWallMs;
      if (age > 0) t = now - age;
      stale = age > this.windowMs;
    }
    if (b.node !== undefined) cam.node = b.node;
    // The gap allowance is judged on the cadence seen BEFORE this message: folding the gap being
    // judged into the average first would let each gap widen its own allowance (about 6 × the
    // frame interval instead of 3 ×).
    const maxGapMs = cam.maxGapMs();
    cam.heard(t, this.timeoutMs);
    const stamp = ++this.batchSeq;
    let accepted = 0;
    for (let i = 0; i < count; i++) {
      if (!this.valid[i]) continue;
      const o = b.items[i];
      if (o.end) {
        this.rules.closeTrack(cam, o);
        continue;
      }
      this.rules.addSample(cam, this.rules.trackFor(cam, o, t, stamp, b.source), o, t, stamp, maxGapMs);
      accepted++;
    }
    this.counters.messagesAccepted++;
    this.counters.detectionsAccepted += accepted;
    if (stale) this.counters.staleMessages++;
    // A backlog older than the window is history only: it cannot by itself complete a trigger.
    const decision = this.evaluate(now, !stale);
    return { accepted, stale, decision };
  }

  /** Camera status (`camera/<camera>/status` or the local bus); offline/error cameras do not vote. */
  cameraStatus(camera: string, status: Exclude<CameraStatusName, 'unknown'>, node?: string): string | undefined {
    if (this.listed && !this.listed.has(camera)) return this.rejectBatch('unlisted_camera').rejected;
    const now = this.clock.now();
    const cam = this.cameraFor(camera, now);
    if (!cam) return this.rejectBatch('camera_cap').rejected;
    cam.status = status;
    if (node !== undefined) cam.node = node;
    if (status === 'online' && now > cam.lastSeen) cam.lastSeen = now;
    this.evaluate(now, false);
    return undefined;
  }

  /** Forget `camera`'s tracks from `source` (their box scale changed); returns how many. */
  forgetTracks(camera: string, source: InputSource): number {
    const cam = this.cameras.get(camera);
    if (!cam) return 0;
    const n = this.rules.forgetTracks(cam, source);
    if (n > 0) this.evaluate(this.clock.now(), false);
    return n;
  }

  /** Node availability (`system/<node>/availability`): cameras of an offline node do not vote. */
  nodeAvailability(node: string, online: boolean): void {
    if (online) this.offlineNodes.delete(node);
    // Bounded like everything else: a flood of invented node ids cannot grow memory.
    else if (this.offlineNodes.size < MAX_OFFLINE_NODES) this.offlineNodes.add(node);
    else return void this.reject('node_cap');
    this.evaluate(this.clock.now(), false);
  }

  /** Current state and per-camera detail. */
  snapshot(): EngineSnapshot {
    const now = this.clock.now();
    const cameras = [...this.cameras.values()].map((c) => {
      const nodeOnline = c.node ? !this.offlineNodes.has(c.node) : null;
      return {
      id: c.id,
      node: c.node ?? null,
      status: c.status,
      voting: this.voting(c, now),
      nodeOnline,
      effectiveStatus: nodeOnline === false ? ('offline' as const) : c.status,
      seesFire: c.seesFire,
      tracks: c.tracks.length,
      silentMs: c.lastSeen === -Infinity ? null : now - c.lastSeen,
      listed: c.settings !== undefined,
      };
    });
    return { ...this.currentState(now), triggerCount: this.triggerCount, cameras, lastDecision: this.lastDecision };
  }

  /** The page's incident timeline: tracks with their samples in wall-clock time. */
  timeline(): ConsensusTimeline {
    const now = this.clock.now();
    const wall = this.clock.wallNow();
    const statusName = ['none', 'growing', 'persistent'] as const;
    const cameras = [...this.cameras.values()].map((c) => ({
      id: c.id,
      seesFire: c.seesFire,
      // Statuses and medians as the last evaluation left them (reading never re-evaluates).
      tracks: c.tracks.map((tr) => {
        const samples: Array<[number, number, number]> = [];
        for (let i = Math.max(0, tr.ring.len - TIMELINE_MAX_SAMPLES); i < tr.ring.len; i++) {
          samples.push([Math.round(wall - (now - tr.ring.timeAt(i))), tr.ring.scoreAt(i), tr.ring.areaAt(i)]);
        }
        return { track: tr.name, label: tr.label, source: tr.source, status: statusName[tr.status], early: tr.early, late: tr.late, box: [tr.x1, tr.y1, tr.x2, tr.y2] as [number, number, number, number], samples };
      }),
    }));
    const frigate = cameras.some((c) => c.tracks.some((t) => t.source === 'frigate'));
    return { atWallMs: wall, windowMs: frigate ? Math.max(this.windowMs, this.cfg.frigate.windowSeconds * 1000) : this.windowMs, cameras };
  }

  /** Gauges computed on demand. */
  gauges(): { cameras: number; camerasVoting: number; camerasSeeingFire: number; tracks: number } {
    const now = this.clock.now();
    let voting = 0, tracks = 0;
    for (const c of this.cameras.values()) {
      if (this.voting(c, now)) voting++;
      tracks += c.tracks.length;
    }
    return { cameras: this.cameras.size, camerasVoting: voting, camerasSeeingFire: this.seeingCount, tracks };
  }

  private rejectBatch(reason: string): IngestOutcome {
    this.reject(reason);
    return { rejected: reason, accepted: 0, stale: false };
  }

  /** Per-observation checks shared by every input: class filter, area limits, masks. */
  private check(o: Observation, s: CameraSettings | undefined, minScore: number): string | undefined {
    if (o.end) return undefined;
    if (!(o.score >= minScore)) return 'below_threshold';
    if (!this.labels.has(o.label)) return 'label_not_counted';
    const area = (o.x2 - o.x1) * (o.y2 - o.y1);
    if (!(area >= this.cfg.minAreaRatio && area <= this.cfg.maxAreaRatio)) return 'area_out_of_range';
    if (s?.masks && isMasked(s.masks, (o.x1 + o.x2) / 2, (o.y1 + o.y2) / 2)) return 'masked';
    return undefined;
  }

  private cameraFor(id: string, now: number): CameraState | undefined {
    const existing = this.cameras.get(id);
    if (existing) return existing;
    if (this.cameras.size >= this.cfg.maxCameras) {
      // Make room only by forgetting an unlisted camera that cannot vote anyway (silent past the
      // timeout); otherwise refuse, so invented ids cannot push real cameras out.
      let victim: CameraState | undefined;
      for (const c of this.cameras.values()) {
        if (!c.settings && now - c.lastSeen > this.timeoutMs && (!victim || c.lastSeen < victim.lastSeen)) victim = c;
      }
      if (!victim) return undefined;
      this.cameras.delete(victim.id);
      this.cameraList.splice(this.cameraList.indexOf(victim), 1);
      this.counters.camerasEvicted++;
    }
    return this.addCamera(new CameraState(id, this.listed?.get(id)));
  }

  private addCamera(cam: CameraState): CameraState {
    this.cameras.set(cam.id, cam);
    this.cameraList.push(cam);
    return cam;
  }

  private voting(cam: CameraState, now: number): boolean {
    if (cam.status === 'offline' || cam.status === 'error') return false;
    if (cam.node !== undefined && this.offlineNodes.size > 0 && this.offlineNodes.has(cam.node)) return false;
    return now - cam.lastSeen <= this.timeoutMs;
  }

  private whyNotVoting(cam: CameraState, now: number): string {
    if (cam.status === 'offline' || cam.status === 'error') return `status ${cam.status}`;
    if (cam.node !== undefined && this.offlineNodes.has(cam.node)) return `node ${cam.node} offline`;
    return `silent for ${Math.round((now - cam.lastSeen) / 1000)} s (cameraTimeoutSeconds ${this.cfg.cameraTimeoutSeconds})`;
  }

  /** Expire tracks everywhere (timer work). */
  private sweep(now: number): void {
    for (const cam of this.cameras.values()) this.rules.sweep(cam, now);
  }

  /** Count cameras seeing fire, decide a trigger when allowed, publish state changes. */
  private evaluate(now: number, allowTrigger: boolean): Decision | undefined {
    this.counters.evaluations++;
    let n = 0;
    const list = this.cameraList;
    for (let c = 0; c < list.length; c++) {
      const cam = list[c];
      cam.seesFire = false;
      const voting = this.voting(cam, now);
      if (voting !== cam.voting) {
        cam.voting = voting;
        this.opts.onCameraVoting?.(cam.id, voting, voting ? 'heard' : this.whyNotVoting(cam, now));
      }
      if (!voting) continue;
      for (let k = 0; k < cam.tracks.length; k++) {
        const tr = cam.tracks[k];
        this.rules.refresh(cam, tr, now);
        if (tr.status !== NONE) {
          cam.seesFire = true;
          break;
        }
      }
      if (cam.seesFire) this.seeing[n++] = cam;
    }
    this.seeingCount = n;
    let decision: Decision | undefined;
    const cooled = this.lastTriggerMono === undefined || now - this.lastTriggerMono >= this.cooldownMs;
    if (allowTrigger && n >= this.cfg.threshold && cooled) {
      decision = buildDecision(this.seeing, n, now, this.clock.wallNow(), {
        id: this.opts.idFactory(),
        triggerCount: ++this.triggerCount,
        zonesMapped: this.zonesMapped,
        refresh: (cam, tr) => this.rules.refresh(cam, tr, now),
      });
      this.lastTriggerMono = now;
      this.lastDecision = decision;
      this.counters.triggers++;
      this.opts.onDecision?.(decision);
    }
    // Compare before building anything: the common case (no change) allocates nothing.
    const prev = this.published;
    if (decision || !prev || prev.state !== this.stateNameAt(now) || !sameCameras(prev.camerasSeeingFire, this.seeing, n)) {
      const state = this.currentState(now);
      this.published = state;
      this.opts.onState?.(state, decision);
    }
    return decision;
  }

  private stateNameAt(now: number): EngineState['state'] {
    const since = this.lastTriggerMono === undefined ? undefined : now - this.lastTriggerMono;
    return stateName(this.seeingCount, this.cfg.threshold, since, this.cooldownMs);
  }

  private currentState(now: number): EngineState {
    const names: string[] = [];
    for (let i = 0; i < this.seeingCount; i++) names.push(this.seeing[i].id);
    const d = this.lastDecision;
    return {
      state: this.stateNameAt(now),
      camerasSeeingFire: names,
      threshold: this.cfg.threshold,
      lastTrigger: d ? { id: d.id, atWallMs: d.atWallMs } : null,
    };
  }
}
