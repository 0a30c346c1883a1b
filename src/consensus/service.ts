/**
 * The consensus service (docs/consensus.md): feeds the pure engine from the bus and the MQTT link
 * through one parser per input (src/consensus/inputs), and publishes its state and triggers. It is
 * the whole service, so it is not called an adapter (in src/pump, `mqtt-adapter.ts` is the thin link
 * adapter).
 */
import type { AppBus } from '../bus/index.js';
import type { Clock } from '../core/clock.js';
import { createIdSource, type IdSource } from '../core/ids.js';
import { formatIssues } from '../core/json.js';
import type { MetricSnapshot } from '../core/metrics.js';
import { fail, ok, type Result } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import type { MqttLink } from '../mqtt/link.js';
import { topics } from '../topics/topics.js';
import { triggerAckSchema, type ConsensusState, type TriggerAckPayload, type TriggerMessage } from '../topics/payloads.js';
import { FRIGATE_DEFAULT_RESOLUTION, type ConsensusConfig } from './config.js';
import { ConsensusEngine } from './engine.js';
import { parseJsonObject, reasonCode, topicCamera, type Resolution } from './inputs/common.js';
import { parseFrigate } from './inputs/frigate.js';
import { FrigateResolutions, type LearnedResolution } from './inputs/frigate-resolution.js';
import { LEGACY_RESOLUTION, parseLegacy } from './inputs/legacy.js';
import { ownMessageToBatch, parseOwnMessage } from './inputs/own.js';
import { parseAvailability, parseCameraStatus, type AvailabilityInput, type CameraStatusInput } from './inputs/status.js';
import { TriggerAckTracker, type TriggerAckSnapshot } from './trigger-acks.js';
import type { ConsensusTimeline, Decision, EngineSnapshot, EngineState, ObservationBatch } from './types.js';

/** Everything the consensus part needs, in one options object (docs/style.md rule 5). */
export interface ConsensusOptions {
  config: ConsensusConfig;
  nodeId: string;
  logger: Logger;
  clock: Clock;
  bus: AppBus;
  /** Absent on a node without MQTT (tests, a single Pi with the bus only). */
  link?: MqttLink;
  /** The local detector's operating threshold (`model.threshold`), used when a message lacks one. */
  modelThreshold: number;
  /** False while the wall clock is not synchronised (capture-age checks are then skipped). */
  clockSynced?: () => boolean;
  /** The process's message-id source (src/core/ids.ts): trigger ids; default a new one. */
  ids?: IdSource;
  /** Trigger ids for tests that need fixed ones; wins over `ids`. */
  idFactory?: () => string;
}

/** Snapshot for the status page and health. */
export interface ConsensusSnapshot extends EngineSnapshot {
  /** The last trigger payload as published, or null. */
  lastTriggerMessage: TriggerMessage | null;
  /** Frigate cameras whose detect size was learned from their boxes (health asks to configure it). */
  frigateSizesLearned: LearnedResolution[];
  /** Triggers not yet reported by a pump, and the last one no pump reported (null: acks not required). */
  triggerAcks: (TriggerAckSnapshot & { resendSeconds: number }) | null;
}

/** The running consensus part. */
export interface ConsensusService {
  /** Subscribe to the bus and the link, arm the evaluation timer, publish the initial state. */
  start(): Promise<void>;
  /** Remove every subscription and the timer. */
  stop(): Promise<void>;
  snapshot(): ConsensusSnapshot;
  /** Tracks and samples over the window, for the status page's incident timeline. */
  timeline(): ConsensusTimeline;
  /** Accepted/rejected inputs by reason, tracks, cameras online, triggers. */
  metrics(): MetricSnapshot;
}

const OWNER = 'consensus';
const CONSENSUS_STATES = ['idle', 'watching', 'triggered', 'cooldown'] as const;

/** The reference's `service_id` carried forward with our node id. */
function serviceId(nodeId: string): string {
  return `fire_consensus@${nodeId}`;
}

/**
 * Decision → `fire/trigger` payload (reference field names plus ours; docs/topics.md, triggerSchema).
 * Its envelope is the decision's own: `id` is the trigger id (from the process's id source, the
 * pump de-duplicates and acknowledges by it) and `ts` the decision time, so the MQTT core's encode
 * keeps them (the publisher's values win).
 */
export function triggerPayload(d: Decision, nodeId: string, ttlSeconds: number): TriggerMessage {
  const ts = d.atWallMs / 1000;
  const msg: TriggerMessage = {
    action: 'trigger',
    v: 1,
    id: d.id,
    node_id: nodeId,
    ts,
    confidence: 'high',
    timestamp: ts,
    expires_at: ts + ttlSeconds,
    trigger_count: d.triggerCount,
    consensus_cameras: d.cameras,
    fire_locations: d.locations,
    service_id: serviceId(nodeId),
    evidence: d.evidence.map((e) => ({
      camera: e.camera,
      track: e.track,
      label: e.label,
      max_score: e.maxScore,
      early_median_area: e.earlyMedianArea,
      late_median_area: e.lateMedianArea,
      reason: e.reason,
    })),
  };
  if (d.zones !== undefined) msg.zones = d.zones;
  return msg;
}

/** `pump/<node>/trigger_ack`. */
function parseTriggerAck(payload: Buffer): Result<TriggerAckPayload> {
  const obj = parseJsonObject(payload);
  if (!obj.ok) return obj;
  const r = triggerAckSchema.safeParse(obj.value);
  return r.success ? ok(r.data) : fail(`schema: trigger ack ${formatIssues(r.error.issues)}`);
}

/** Engine state → `consensus/<node>/state` payload. */
export function statePayload(s: EngineState): ConsensusState {
  return {
    state: s.state,
    cameras_seeing_fire: s.camerasSeeingFire,
    threshold: s.threshold,
    last_trigger: s.lastTrigger ? { id: s.lastTrigger.id, ts: s.lastTrigger.atWallMs / 1000 } : null,
  };
}

/**
 * Build the consensus part: the pure engine wired to the in-process bus (local detections, camera
 * status, triggers for the local pump) and, when given, the MQTT link (remote and legacy inputs,
 * durable `fire/trigger`, retained state). A trigger goes to the bus first, so the pump on this
 * node starts even while the broker is down, and into the QoS 1 outbox, which delivers it later.
 */
export function createConsensus(opts: ConsensusOptions): ConsensusService {
  const { config, nodeId, logger: log, bus, link } = opts;
  let lastTrigger: TriggerMessage | null = null;
  let lastStateName: string | undefined;
  const ids = opts.ids ?? createIdSource();
  const idFactory = opts.idFactory ?? (() => ids.next());
  // Issue 17: the outbox proves the broker took a trigger, not that a pump got it.
  const acks = config.triggerAck.required
    ? new TriggerAckTracker({
        clock: opts.clock,
        resendMs: config.triggerAck.resendSeconds * 1000,
        resend: (payload, remainingSeconds) => {
          // Only onto a live link: while ours is down the first copy still waits in the outbox.
          if (!link || link.connectionState() !== 'CONNECTED') return;
          log.warn('trigger not acknowledged by any pump yet; re-sending it (same id)', { id: payload.id, expires_in_s: remainingSeconds });
          link.publish(topics.trigger, payload, { qos: 1, priority: 1, expirySeconds: remainingSeconds });
        },
        unacknowledged: (trigger, resends) => {
          log.error('trigger expired and NO pump acknowledged it: no pump is known to be fighting this fire', {
            id: trigger.id, resends, cameras: trigger.consensus_cameras ?? [], zones: trigger.zones ?? null,
            fix: 'check that the pump nodes are online and subscribed to fire/trigger (their health and pump/<node>/state), and the broker ACL',
          });
          bus.emit('consensus.trigger_unacknowledged', { trigger, resends });
        },
        acknowledged: (a, afterMs, resends) =>
          log.info('trigger acknowledged by a pump', { id: a.triggerId, pump: a.pump, accepted: a.accepted, reason: a.reason, after_ms: Math.round(afterMs), resends }),
      })
    : null;
  const onAck = (a: TriggerAckPayload) => acks?.ack({ triggerId: a.trigger_id, pump: a.node_id, accepted: a.accepted, reason: a.reason, zones: a.zones });

  const engine = new ConsensusEngine({
    config,
    clock: opts.clock,
    idFactory,
    clockSynced: opts.clockSynced,
    onDecision: (d) => {
      const payload = triggerPayload(d, nodeId, config.triggerTtlSeconds);
      lastTrigger = payload;
      log.info('fire trigger decided', { id: d.id, trigger_count: d.triggerCount, cameras: d.cameras, locations: d.locations, expires_at: payload.expires_at });
      // Tracked before the bus: a pump on this node answers synchronously from inside emit().
      acks?.sent(payload);
      // Local first (docs/design.md): the bus delivers synchronously to the pump on this node.
      bus.emit('trigger', payload);
      // The expiry drops it from the outbox once stale and, under MQTT 5, goes out as the
      // message-expiry property: a queued start cannot fire late (docs/mqtt-core.md).
      link?.publish(topics.trigger, payload, { qos: 1, priority: 1, expirySeconds: config.triggerTtlSeconds });
    },
    onCameraVoting: (camera, voting, reason) => {
      log.info(voting ? 'camera voting' : 'camera stopped voting', { camera, reason });
      bus.emit('consensus.cameras', { camera, node: null, reason: voting ? 'voting' : `not voting: ${reason}` });
    },
    onState: (s, decided) => {
      const payload = statePayload(s);
      if (s.state !== lastStateName) log.info('consensus state', { from: lastStateName ?? null, to: s.state, cameras_seeing_fire: s.camerasSeeingFire });
      else if (log.enabled('debug')) log.debug('cameras seeing fire changed', { cameras_seeing_fire: s.camerasSeeingFire });
      lastStateName = s.state;
      bus.emit('consensus.state', decided ? { ...payload, decided: lastTrigger ?? undefined } : payload);
      // Wire only: the MQTT core adds the envelope (an id from the process's source) at encode.
      link?.setLastValue(topics.consensusState(nodeId), payload, { qos: 1 });
    },
  });

  const rejected = (reason: string, where: string) => {
    engine.reject(reasonCode(reason));
    if (log.enabled('debug')) log.debug('input rejected', { where, reason });
  };
  /** Wrap a parser so every failure is counted by reason (the core logs it too). */
  const counted =
    <T>(parse: (payload: Buffer, topic: string) => Result<T>) =>
    (payload: Buffer, topic: string): Result<T> => {
      const r = parse(payload, topic);
      if (!r.ok) rejected(r.reason, topic);
      return r;
    };
  const resolution = (fallback: Resolution) => (camera: string): Resolution => {
    const s = engine.settings(camera);
    return s?.width !== undefined && s.height !== undefined ? { width: s.width, height: s.height } : fallback;
  };
  const ownCtx = { modelThreshold: opts.modelThreshold, minScore: config.minScore };
  const legacyCtx = { minConfidence: config.minConfidence, resolutionFor: resolution(LEGACY_RESOLUTION) };
  // Frigate boxes are pixels of each camera's `detect` size. A configured size (per camera, or
  // frigateResolution) is authoritative; otherwise the default is assumed and raised when a box
  // proves the frame larger (reported in health), instead of refusing every box of a 1080p camera.
  const frigateSizes = new FrigateResolutions(config.frigateResolution ?? FRIGATE_DEFAULT_RESOLUTION, config.frigate.learnResolution && !config.frigateResolution, config.maxCameras);
  const configuredSize = (camera: string): Resolution | undefined => {
    const s = engine.settings(camera);
    return s?.width !== undefined && s.height !== undefined ? { width: s.width, height: s.height } : undefined;
  };
  const frigateCtx = { minConfidence: config.minConfidence, resolutionFor: (camera: string) => configuredSize(camera) ?? frigateSizes.sizeFor(camera) };

  /** `fire/detection[/<camera>]`: own format when it has a `detections` array, else the reference's. */
  const parseDetection = (payload: Buffer, topic: string): Result<ObservationBatch> => {
    const obj = parseJsonObject(payload);
    if (!obj.ok) return obj;
    const level = topicCamera(topic);
    if (level === '') return fail('missing_camera: empty camera level in topic');
    return 'detections' in obj.value ? parseOwnMessage(obj.value, level, ownCtx) : parseLegacy(obj.value, level, legacyCtx);
  };
  const parseFrigateEvent = (payload: Buffer, topic: string): Result<ObservationBatch> => {
    const obj = parseJsonObject(payload);
    if (!obj.ok) return obj;
    let r = parseFrigate(obj.value, frigateCtx);
    if (!r.ok && reasonCode(r.reason) === 'box_outside_frame') {
      const after = obj.value.after as { camera?: unknown; box?: unknown };
      const camera = typeof after.camera === 'string' ? after.camera : '';
      const box = after.box as number[];
      const grown = configuredSize(camera) ? undefined : frigateSizes.grow(camera, box[2], box[3]);
      if (grown) {
        // Samples taken at the smaller assumed size would make the growth rule compare two scales.
        const forgotten = engine.forgetTracks(camera, 'frigate');
        log.warn('Frigate camera sends boxes beyond the assumed detect size; using a larger one', {
          camera, box_x2: box[2], box_y2: box[3], size: `${grown.width}x${grown.height}`, tracks_restarted: forgotten,
          fix: `set consensus.cameras.${camera}: {width, height} to this camera's Frigate detect size`,
        });
        r = parseFrigate(obj.value, frigateCtx);
      }
    }
    // Cameras of a Frigate server vote only while it is available (<prefix>/available).
    if (r.ok) r.value.node = `frigate:${topic.slice(0, topic.indexOf('/'))}`;
    return r;
  };
  /** `<prefix>/available`: Frigate's plain-text `online` / `offline` (retained, and its will). */
  const parseFrigateAvailable = (payload: Buffer): Result<boolean> => {
    const t = payload.toString('utf8').trim();
    return t === 'online' ? ok(true) : t === 'offline' ? ok(false) : fail('bad_availability: Frigate availability is online or offline');
  };
  const parseStatus = (payload: Buffer, topic: string): Result<CameraStatusInput> => {
    const obj = parseJsonObject(payload);
    return obj.ok ? parseCameraStatus(obj.value, topic) : obj;
  };

  const ingest = (batch: ObservationBatch, retained: boolean, where: string) => {
    // A retained detection is a replay of the past, never evidence of a fire now.
    if (retained) return rejected('retained: detections are never retained', where);
    const out = engine.ingest(batch);
    if (out.rejected && log.enabled('debug')) log.debug('input rejected', { where, reason: out.rejected, camera: batch.camera });
  };
  const status = (s: CameraStatusInput, where: string) => {
    const r = engine.cameraStatus(s.camera, s.status, s.node);
    if (r && log.enabled('debug')) log.debug('input rejected', { where, reason: r, camera: s.camera });
  };

  let started = false;
  return {
    async start() {
      // Idempotent: a second start() must not double every subscription.
      if (started) return;
      started = true;
      // The bus carries the capture time in ms (no seconds round trip inside one process).
      bus.on('detections', OWNER, ({ camera, message, capturedAtMs }) => {
        const b = ownMessageToBatch(message, camera, ownCtx, capturedAtMs);
        if (b.ok) ingest(b.value, false, 'bus');
        else rejected(b.reason, 'bus');
      });
      bus.on('camera.status', OWNER, ({ camera, status: st }) => status({ camera, status: st.status, node: nodeId }, 'bus'));
      bus.on('pump.trigger_ack', OWNER, onAck);
      if (link) {
        const det = counted(parseDetection);
        link.subscribe(topics.detectionLegacy, OWNER, det, (b, m) => ingest(b, m.retained, m.topic));
        link.subscribe(topics.detectionAll, OWNER, det, (b, m) => ingest(b, m.retained, m.topic));
        for (const prefix of config.frigate.topicPrefixes) {
          link.subscribe(topics.frigateEventsOf(prefix), OWNER, counted(parseFrigateEvent), (b, m) => ingest(b, m.retained, m.topic));
          link.subscribe(topics.frigateAvailableOf(prefix), OWNER, counted(parseFrigateAvailable), (online) => engine.nodeAvailability(`frigate:${prefix}`, online));
        }
        link.subscribe(topics.cameraStatusAll, OWNER, counted(parseStatus), (s, m) => status(s, m.topic));
        if (acks) {
          link.subscribe(topics.pumpTriggerAckAll, OWNER, counted(parseTriggerAck), (a, m) => {
            if (!m.retained) onAck(a);
          });
        }
        link.subscribe(topics.availabilityAll, OWNER, counted(parseAvailability), (a: AvailabilityInput) => {
          // Our own retained `offline` (the will of a previous run) must never silence local
          // cameras: this process is alive by definition (local first).
          if (a.node === nodeId) return;
          engine.nodeAvailability(a.node, a.online);
          bus.emit('consensus.cameras', { camera: null, node: a.node, reason: a.online ? 'node online' : 'node offline' });
        });
      }
      engine.start();
      log.info('consensus started', { threshold: config.threshold, window_s: config.windowSeconds, cooldown_s: config.cooldownSeconds, listed_cameras: Object.keys(config.cameras ?? {}).length });
    },
    async stop() {
      started = false;
      engine.stop();
      acks?.stop();
      bus.removeOwner(OWNER);
      link?.unsubscribeOwner(OWNER);
    },
    snapshot() {
      return {
        ...engine.snapshot(),
        lastTriggerMessage: lastTrigger,
        frigateSizesLearned: frigateSizes.list(),
        triggerAcks: acks ? { ...acks.snapshot(), resendSeconds: config.triggerAck.resendSeconds } : null,
      };
    },
    timeline: () => engine.timeline(),
    metrics() {
      const c = engine.counters;
      const g = engine.gauges();
      const snap = engine.snapshot();
      return {
        state: Object.fromEntries(CONSENSUS_STATES.map((st) => [st, st === snap.state ? 1 : 0])),
        last_trigger_timestamp_seconds: snap.lastTrigger ? snap.lastTrigger.atWallMs / 1000 : 0,
        messages_accepted: c.messagesAccepted,
        detections_accepted: c.detectionsAccepted,
        rejected: { ...c.rejected },
        stale_messages: c.staleMessages,
        tracks: g.tracks,
        cameras: g.cameras,
        cameras_online: g.camerasVoting,
        cameras_seeing_fire: g.camerasSeeingFire,
        triggers: c.triggers,
        tracks_evicted: c.tracksEvicted,
        cameras_evicted: c.camerasEvicted,
        samples_thinned: c.samplesThinned,
        evaluations: c.evaluations,
        trigger_resends: acks?.counts.resends ?? 0,
        triggers_acknowledged: acks?.counts.acknowledged ?? 0,
        triggers_unacknowledged: acks?.counts.unacknowledged ?? 0,
        triggers_pending_ack: acks ? acks.snapshot().pending.length : 0,
      };
    },
  };
}
