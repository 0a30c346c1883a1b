/**
 * The camera role's main-thread side (docs/design.md; docs/topics.md "Own detection message"): runs the
 * detector worker through {@link WorkerHost}, turns its results into own-format detection messages
 * published on `fire/detection/<camera>` (QoS 1, priority 2) when there are detections and at most
 * every `publishEmptyEverySeconds` when there are none, and emits the SAME message object on the bus
 * (`detections`) for local consensus, which de-duplicates by id. Camera status goes to the retained
 * `camera/<camera>/status` and the bus; evidence snapshots to `camera/<camera>/snapshot`.
 */
import type { AppBus } from '../bus/index.js';
import type { CameraConfig } from '../capture/config.js';
import { effectiveStaleSeconds } from '../capture/index.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { repeatEvery } from '../core/repeat.js';
import type { MetricSnapshot } from '../core/metrics.js';
import { createIdSource, stampEnvelope, type IdSource } from '../core/ids.js';
import { systemRandom, type Random } from '../core/random.js';
import type { Result } from '../core/result.js';
import { fail, ok } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../log/redact.js';
import type { MqttLink } from '../mqtt/link.js';
import type { CameraStatus, DetectionMessage } from '../topics/payloads.js';
import { topics } from '../topics/topics.js';
import type { DetectConfig } from './config.js';
import { WorkerHost, type ReadyModel, type WorkerScript } from './worker-host.js';
import type { FromWorker, WorkerCameraStatus } from './worker-protocol.js';

/** Options of {@link createCameraRole}. */
export interface CameraRoleOptions {
  cameras: CameraConfig[];
  detect: DetectConfig;
  nodeId: string;
  stateDir: string;
  logger: Logger;
  bus: AppBus;
  link?: MqttLink;
  clock?: Clock;
  random?: Random;
  /** The process's message-id source (src/core/ids.ts), shared with the MQTT core; default a new one. */
  ids?: IdSource;
  /**
   * Whether this node's wall clock is synchronised (telemetry). While it is not, `captured_at` is
   * left out: a Pi without a real-time clock can be hours behind before NTP, and a synchronised
   * consensus node would judge every detection of ours stale, so the camera silently never voted.
   * Without `captured_at` the receiver uses the arrival time (docs/topics.md). Default: synchronised.
   */
  clockSynced?: () => boolean;
  /** Worker tuning for tests (script location, restart delays). */
  worker?: { script?: WorkerScript; restartMinMs?: number; restartMaxMs?: number; maxCrashes?: number; seed?: number };
}

/** Status page view of the camera role. */
export interface CameraRoleSnapshot {
  worker: string;
  /** Why the worker supervisor gave up (its restart cap reached), null while it has not. */
  workerError: string | null;
  model: ReadyModel | null;
  cameras: Record<string, WorkerCameraStatus & { url: string }>;
  detector: { processed: number; inferMsAvg: number; inferMsMax: number; errors: number; snapshots: number; restarts: number };
}

/** The camera role (capture + detect) as the app wires it. */
export interface CameraRole {
  /** Loads the model in the worker and starts the cameras; refuses a bad model with its reason. */
  start(): Promise<Result<void>>;
  stop(): Promise<void>;
  snapshot(): CameraRoleSnapshot;
  metrics(): MetricSnapshot;
  /**
   * Discovery found a configured camera (by its ONVIF identity) at `url`: its source moves there.
   * The camera keeps its id, so consensus history and masks stay with it.
   */
  setCameraUrl(camera: string, url: string): void;
  /**
   * Why discovery cannot give a camera a URL (null: it can): shown as the camera's error while it
   * is not online (`camera/<id>/status`, health, status page).
   */
  setCameraNote(camera: string, note: string | null): void;
}

/** Builds the camera role. */
export function createCameraRole(opts: CameraRoleOptions): CameraRole {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const wlog = log.child('worker');
  const ids = opts.ids ?? createIdSource();
  const statuses: Record<string, WorkerCameraStatus & { url: string }> = {};
  const lastPublished = new Map<string, number>();
  const stats = { processed: 0, inferMsAvg: 0, inferMsMax: 0, errors: 0, snapshots: 0 };
  const m = { published: 0, heartbeats: 0, frames: 0, detections: 0, snapshots_published: 0, worker_crashes: 0, worker_hangs: 0 };
  // Copies: discovery changes a camera's url at run time, never the loaded config's objects.
  const cameras = opts.cameras.map((c) => ({ ...c }));
  const enabled = cameras.filter((c) => c.enabled);
  const notes = new Map<string, string>();
  const identity = (c: CameraConfig) => (c.onvif?.serial !== undefined ? `onvif serial ${c.onvif.serial}` : `onvif mac ${c.onvif?.mac ?? '?'}`);
  for (const c of enabled) {
    if (c.url === '') notes.set(c.id, `waiting for discovery to find ${identity(c)}`);
    statuses[c.id] = { status: 'offline', fps: 0, frames: 0, dropped: 0, last_frame_at: null, error: notes.get(c.id) ?? 'starting', restarts: 0, url: redactUrl(c.url) };
  }

  const publishStatus = (camera: string, st: WorkerCameraStatus) => {
    const cam = enabled.find((c) => c.id === camera);
    if (!cam) return;
    const note = st.status === 'online' ? undefined : notes.get(camera);
    const error = note !== undefined ? (st.error && st.error !== note && cam.url !== '' ? `${note}; last error: ${st.error}` : note) : st.error;
    statuses[camera] = { ...st, error, url: redactUrl(cam.url) };
    const payload: CameraStatus = {
      status: st.status,
      fps: st.fps,
      frames: st.frames,
      dropped: st.dropped,
      last_frame_at: st.last_frame_at,
      error: error === null ? null : redactUrl(error),
      camera_id: camera,
      node_id: opts.nodeId,
      ts: clock.wallNow() / 1000,
    };
    // The MQTT core adds `v` and `id` at encode (node_id and ts are part of the bus copy too).
    opts.link?.setLastValue(topics.cameraStatus(camera), payload, { qos: 1 });
    opts.bus.emit('camera.status', { camera, status: payload });
  };

  const allCameras = (status: 'offline' | 'error', error: string) => {
    for (const c of enabled) publishStatus(c.id, { ...statuses[c.id], status, fps: 0, error });
  };

  let model: ReadyModel | null = null;
  let workerError: string | null = null;
  // Liveness of the detector (docs/detector.md: nothing may silently stop watching). A worker whose
  // inference never returns keeps its event loop, so it still sends status refreshes and looks
  // healthy; only results prove progress. The check is a watchdog on the ABSENCE of an event, so
  // it needs a timer. Progress = a result, the worker becoming ready, or a camera coming online.
  let lastProgress = clock.now();
  let hangTimer: TimerHandle | null = null;
  // A slow camera (fps 0.01: one frame in 100 s) must not look like a stuck detector.
  // Nor a camera whose frames repeat: repeated pictures are not inferred, for up to staleSeconds.
  // A camera waiting for discovery will be an RTSP camera once it is found.
  const hangMs = Math.max(opts.detect.hangSeconds * 1000, ...enabled.map((c) => 3000 / c.fps + effectiveStaleSeconds(c.url === '' ? { ...c, url: 'rtsp://discovered/' } : c) * 1000));
  const armHangCheck = () => {
    hangTimer = repeatEvery(clock, Math.max(250, hangMs / 4), checkHang, { rearm: 'before' });
  };
  const checkHang = () => {
    if (host.state !== 'running') return;
    const online = Object.values(statuses).some((s) => s.status === 'online');
    if (!online || clock.now() - lastProgress < hangMs) return;
    const reason = `no detection result for ${Math.round(hangMs / 1000)} s while cameras deliver frames (detector stuck)`;
    log.error('detector stuck; restarting its worker', { hang_seconds: hangMs / 1000 });
    m.worker_hangs++;
    lastProgress = clock.now();
    host.recycle(reason);
  };

  const onMessage = (msg: FromWorker) => {
    switch (msg.type) {
      case 'detections': {
        lastProgress = clock.now();
        m.frames++;
        const now = clock.now();
        const last = lastPublished.get(msg.camera);
        const empty = msg.detections.length === 0;
        // Empty results are heartbeats: at most one per publishEmptyEverySeconds (docs/topics.md).
        if (empty && last !== undefined && now - last < opts.detect.publishEmptyEverySeconds * 1000) return;
        lastPublished.set(msg.camera, now);
        // Boxes are guaranteed by the detector (clamped to the frame, x1 < x2); scores are not (a
        // model without a final sigmoid can exceed 1), so they are clamped here, once.
        // Bus and wire carry the same message (same id, so consensus counts it once: stamped here
        // from the process's id source); the capture time goes on the bus in ms and is converted to
        // the wire's seconds once, here.
        const capturedAtMs = (opts.clockSynced?.() ?? true) ? msg.capturedAt : undefined;
        const message: DetectionMessage = {
          ...stampEnvelope(ids, opts.nodeId, clock.wallNow()),
          camera_id: msg.camera,
          frame: { width: msg.width, height: msg.height, seq: msg.seq, captured_at: capturedAtMs === undefined ? undefined : capturedAtMs / 1000 },
          model: { name: model?.name ?? 'unknown', hash: model?.hash, threshold: model?.threshold ?? opts.detect.threshold },
          detections: msg.detections.map((d) => ({ label: d.label, score: Math.min(1, Math.max(0, d.score)), box: d.box, track: d.track })),
        };
        if (empty) m.heartbeats++;
        else m.detections += msg.detections.length;
        m.published++;
        opts.link?.publish(topics.detection(msg.camera), message, { qos: 1, priority: 2 });
        opts.bus.emit('detections', { camera: msg.camera, message, capturedAtMs });
        return;
      }
      case 'status':
        if (msg.status.status === 'online' && statuses[msg.camera]?.status !== 'online') lastProgress = clock.now();
        // Transitions are logged (errors loudly); the periodic refresh only updates the topic.
        if (msg.reason !== 'refresh') {
          const fields = { camera: msg.camera, status: msg.status.status, reason: redactUrl(msg.reason) };
          if (msg.status.status === 'error') log.warn('camera status', fields);
          else log.info('camera status', fields);
        }
        publishStatus(msg.camera, msg.status);
        return;
      case 'snapshot': {
        // Structured clone delivered a Uint8Array; wrap it as a Buffer without copying.
        const jpeg = Buffer.from(msg.jpeg.buffer, msg.jpeg.byteOffset, msg.jpeg.byteLength);
        m.snapshots_published++;
        opts.link?.setLastValue(topics.cameraSnapshot(msg.camera), jpeg, { qos: 0 });
        opts.bus.emit('camera.snapshot', { camera: msg.camera, jpeg, ts: msg.ts / 1000 });
        return;
      }
      case 'stats':
        Object.assign(stats, { processed: msg.processed, inferMsAvg: msg.inferMsAvg, inferMsMax: msg.inferMsMax, errors: msg.errors, snapshots: msg.snapshots });
        return;
      case 'log':
        wlog[msg.level](msg.msg, msg.fields);
        return;
      default:
        return;
    }
  };

  // One worker, one ORT session (docs/design.md: several sessions in several workers crashed in the field).
  const host = new WorkerHost({
    init: { cameras, detect: opts.detect, stateDir: opts.stateDir, seed: opts.worker?.seed },
    logger: wlog,
    clock,
    random: opts.random ?? systemRandom,
    onMessage,
    onCrash: (reason, gaveUp) => {
      m.worker_crashes++;
      if (gaveUp) workerError = reason;
      allCameras(gaveUp ? 'error' : 'offline', gaveUp ? reason : `${reason}; restarting`);
    },
    script: opts.worker?.script,
    restartMinMs: opts.worker?.restartMinMs,
    restartMaxMs: opts.worker?.restartMaxMs,
    maxCrashes: opts.worker?.maxCrashes,
  });

  return {
    async start() {
      if (enabled.length === 0) return fail('the camera role has no enabled camera');
      const r = await host.start();
      if (!r.ok) {
        log.error('detector refused to start', { reason: r.reason });
        allCameras('error', `detector not running: ${r.reason}`);
        await host.stop();
        return fail(r.reason);
      }
      model = r.value;
      lastProgress = clock.now();
      if (!hangTimer) armHangCheck();
      log.info('detector ready', { model: model.name, layout: model.layout, labels: model.labels, threshold: model.threshold, cameras: enabled.length });
      return ok(undefined);
    },
    async stop() {
      hangTimer?.cancel();
      hangTimer = null;
      await host.stop();
    },
    setCameraUrl(camera, url) {
      const cam = enabled.find((c) => c.id === camera);
      if (!cam || cam.url === url) return;
      cam.url = url;
      host.setCameraUrl(camera, url);
      statuses[camera] = { ...statuses[camera], url: redactUrl(url) };
    },
    setCameraNote(camera, note) {
      const cam = enabled.find((c) => c.id === camera);
      if (!cam) return;
      const had = notes.get(camera);
      if (note === null) notes.delete(camera);
      else notes.set(camera, note);
      // Republish so the reason is visible now, not at the next worker refresh.
      if (had !== (note ?? undefined)) publishStatus(camera, { ...statuses[camera], error: statuses[camera].status === 'online' ? null : (note ?? statuses[camera].error) });
    },
    snapshot() {
      return { worker: host.state, workerError, model, cameras: { ...statuses }, detector: { ...stats, restarts: host.restarts } };
    },
    metrics() {
      const dropped: Record<string, number> = {};
      const frames: Record<string, number> = {};
      const online: Record<string, number> = {};
      for (const [id, s] of Object.entries(statuses)) {
        dropped[id] = s.dropped;
        frames[id] = s.frames;
        online[id] = s.status === 'online' ? 1 : 0;
      }
      return {
        detect_messages_published: m.published,
        detect_heartbeats: m.heartbeats,
        detect_detections: m.detections,
        detect_frames_processed: m.frames,
        detect_snapshots: m.snapshots_published,
        detect_worker_crashes: m.worker_crashes,
        detect_worker_hangs: m.worker_hangs,
        detect_worker_restarts: host.restarts,
        detect_worker_rejected_messages: host.rejected,
        detect_infer_ms_avg: stats.inferMsAvg,
        detect_errors: stats.errors,
        camera_frames: frames,
        camera_dropped: dropped,
        camera_online: online,
      };
    },
  };
}
