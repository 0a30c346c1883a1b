import { statfs } from 'node:fs/promises';
import type { AppBus } from '../bus/index.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { repeatEvery } from '../core/repeat.js';
import type { MetricSnapshot } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import type { ConnectionState, MqttLink } from '../mqtt/link.js';
import type { HealthBody } from '../topics/payloads.js';
import { topics } from '../topics/topics.js';
import { createClockSyncProbe, type ClockSyncProbe, type ClockSyncState } from './clock-sync.js';
import type { TelemetryConfig } from './config.js';
import { ClockSkewTracker } from './clock-skew.js';
import { evaluateHealth, type DiskSnapshot, type HealthInput, type HealthProblem, type HealthStatus } from './health.js';
import type {
  CameraSourceSnapshot,
  ConsensusSourceSnapshot,
  DiscoverySourceSnapshot,
  HealthSources,
  ListenerSnapshot,
  PumpSourceSnapshot,
} from './sources.js';
import { createSystemStats, type SystemStats, type TelemetryReading } from './system-stats.js';

/** Options for {@link createTelemetry}: one object, everything injected (docs/style.md rule 5). */
export interface TelemetryOptions {
  config: TelemetryConfig;
  nodeId: string;
  version: string;
  roles: readonly string[];
  logger: Logger;
  clock: Clock;
  /** Absent in processes without MQTT (tests, check-config); then nothing is published. */
  link?: MqttLink;
  bus: AppBus;
  /** Part snapshots; for a missing one the last value seen on the bus is used. */
  sources: HealthSources;
  /** System stats reader; default the real one on `config.diskPath` (else `/`). */
  stats?: SystemStats;
  /** Clock sync probe; default systemd's flag / timedatectl. */
  clockSync?: ClockSyncProbe;
  /** Directory whose filesystem's free space health watches (pump state, MQTT outbox); none: no disk check. */
  stateDir?: string;
  /** fs.statfs replacement (tests). */
  statfs?: (path: string) => Promise<{ bavail: number; blocks: number; bsize: number }>;
}

/** The telemetry part. */
export interface Telemetry {
  /** Read the clock sync flag once, publish health, then arm the health and telemetry timers. */
  start(): Promise<void>;
  /** Cancel timers and bus subscriptions. Idempotent. */
  stop(): void;
  /** For consensus/pump expiry checks (docs/topics.md "Time"): false only when positively unsynchronised. */
  clockSynced(): boolean;
  /** Health evaluated now from the current snapshots (for `/healthz` and the status page). */
  health(): HealthBody;
  /** The last telemetry reading taken, or null before the first. */
  lastTelemetry(): TelemetryReading | null;
  /** Report an optional listener's bind result (the status page), shown in health. */
  reportListener(name: string, result: { ok: boolean; reason?: string | null }): void;
  /** Counters and gauges (src/core/metrics.ts convention). */
  metrics(): MetricSnapshot;
}

const OWNER = 'telemetry';
const STATUS_CODE: Record<HealthStatus, number> = { ok: 0, degraded: 1, failed: 2 };
const UNSYNC_LOG_EVERY_MS = 60_000;
/** Clock offset samples are kept this long (several telemetry and health intervals). */
const SKEW_WINDOW_MS = 10 * 60_000;
/** Peers' periodic messages: fresh (telemetry is QoS 0, never queued) and every node sends them. */
const PEER_TOPICS = ['system/+/telemetry', 'system/+/health'];
const CHANGE_DEBOUNCE_MS = 1000;
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/** The health payload's consensus block; the camera list only when consensus gave one (not from the bus summary). */
function consensusHealth(c: ConsensusSourceSnapshot): NonNullable<HealthBody['consensus']> {
  const out: NonNullable<HealthBody['consensus']> = { state: c.state };
  if (Array.isArray(c.cameras)) {
    out.cameras = c.cameras.map((k) => ({
      id: k.id, node: k.node, status: k.effectiveStatus ?? k.status, node_online: k.nodeOnline ?? null, voting: k.voting, sees_fire: k.seesFire,
      silent_s: k.silentMs === null ? null : Math.round(k.silentMs / 100) / 10,
    }));
  }
  if (c.triggerAcks) {
    out.triggers_pending_ack = c.triggerAcks.pending.length;
    out.trigger_unacknowledged = c.triggerAcks.unacknowledged?.id ?? null;
  }
  return out;
}
const problemKey = (ps: readonly HealthProblem[]): string => ps.map((p) => `${p.code}:${p.subject ?? ''}`).join(',');

/** Build the telemetry part: health evaluation and publishing, system stats, clock sync flag. */
export function createTelemetry(opts: TelemetryOptions): Telemetry {
  const { config, clock, logger: log, bus, link, sources, nodeId } = opts;
  const stats = opts.stats ?? createSystemStats({ diskPath: config.diskPath });
  const sync = opts.clockSync ?? createClockSyncProbe();
  const startedAt = clock.now();
  const counters = { health_published: 0, telemetry_published: 0, stats_failures: 0, source_errors: 0 };
  let timers: TimerHandle[] = [];
  let running = false;
  let last: TelemetryReading | null = null;
  let lastStatus: HealthStatus | null = null;
  let lastProblemKey = '';
  let lastUnsyncLog = -Infinity;
  let lastVerdict: { status: HealthStatus; problems: number } = { status: 'ok', problems: 0 };
  const listeners = new Map<string, ListenerSnapshot>();
  // Peers' envelope timestamps against our wall clock (issue 12 item 7e).
  const skew = new ClockSkewTracker({ windowMs: SKEW_WINDOW_MS });
  const skewInput = (): HealthInput['clockSkew'] => {
    const e = skew.estimate(clock.now());
    return e ? { offsetS: e.offsetMs / 1000, peers: e.peers, boundS: config.maxClockSkewSeconds } : null;
  };
  let disk: DiskSnapshot | null = null;
  const statfsFn = opts.statfs ?? ((p: string) => statfs(p));
  const minFreeBytes = config.diskMinFreeMb * 1048576;
  /** Read the state directory's free space (before each health evaluation on the timer). */
  async function readDisk(): Promise<void> {
    if (!opts.stateDir) return;
    try {
      const s = await statfsFn(opts.stateDir);
      disk = { path: opts.stateDir, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize, minFreeBytes };
    } catch (err) {
      disk = null;
      log.debug('statfs of the state directory failed', { path: opts.stateDir, err });
    }
  }

  // Bus fallbacks: last value seen per part, used when the wiring passes no source for it.
  const busCameras = new Map<string, CameraSourceSnapshot>();
  let busPump: PumpSourceSnapshot | null = null;
  let busConsensus: ConsensusSourceSnapshot | null = null;
  let busMqttState: ConnectionState | null = null;

  // Health and telemetry travel the wire only: the MQTT core adds their envelope at encode.
  const uptimeS = () => Math.round((clock.now() - startedAt) / 1000);

  function read<T>(part: string, fn: (() => T) | undefined, fallback: T, errors: string[]): T {
    if (!fn) return fallback;
    try {
      return fn();
    } catch (err) {
      counters.source_errors++;
      errors.push(part);
      log.debug('status source threw', { part, err });
      return fallback;
    }
  }

  function gather(): HealthInput {
    const errors: string[] = [];
    const linkState = link ? { state: link.connectionState() } : busMqttState ? { state: busMqttState } : null;
    return {
      mqtt: read('mqtt', sources.mqtt, linkState, errors),
      cameras: read('cameras', sources.cameras, [...busCameras.values()], errors),
      detector: read('detector', sources.detector, null, errors),
      consensus: read('consensus', sources.consensus, busConsensus, errors),
      pump: read('pump', sources.pump, busPump, errors),
      listeners: [...listeners.values(), ...read('listeners', sources.listeners, [], errors)],
      clockSync: sync.state(),
      sourceErrors: errors,
      throttledNow: last?.throttled?.now ?? [],
      clockSkew: skewInput(),
      disk,
    };
  }

  function discoverySummary(): HealthBody['discovery'] {
    const d: DiscoverySourceSnapshot | null = read('discovery', sources.discovery, null, []);
    if (!d) return null;
    return { rounds: d.rounds, last_round_at: d.last_round_at, cameras: d.cameras, unconfigured: d.unconfigured, missing: [...d.missing] };
  }

  function health(): HealthBody {
    const input = gather();
    const verdict = evaluateHealth(input);
    lastVerdict = { status: verdict.status, problems: verdict.problems.length };
    const m = input.mqtt;
    return {
      status: verdict.status,
      uptime_s: uptimeS(),
      version: opts.version,
      roles: [...opts.roles],
      clock_synced: sync.clockSynced(),
      clock_sync: input.clockSync,
      problems: verdict.problems,
      mqtt: m ? { state: m.state, outbox_depth: m.outboxDepth ?? null, outbox_max: m.outboxMax ?? null } : null,
      cameras: input.cameras.map((c) => ({ id: c.id, status: c.status, fps: c.fps ?? null, error: c.error ?? null })),
      detector: input.detector ? { state: input.detector.state, error: input.detector.error ?? null } : null,
      consensus: input.consensus ? consensusHealth(input.consensus) : null,
      pump: input.pump
        ? { state: input.pump.state, error: input.pump.error ?? null, armed: typeof input.pump.armed === 'boolean' ? input.pump.armed : null }
        : null,
      disk: disk ? { path: disk.path, free_mb: mb(disk.freeBytes), total_mb: mb(disk.totalBytes), min_free_mb: config.diskMinFreeMb } : null,
      ...(sources.discovery ? { discovery: discoverySummary() } : {}),
    };
  }

  function publishHealth(): void {
    const h = health();
    // Log transitions and new reasons only (docs/style.md rule 9), never every evaluation.
    const key = problemKey(h.problems);
    if (h.status !== lastStatus || key !== lastProblemKey) {
      const fields = { status: h.status, problems: h.problems.map((p) => p.message) };
      if (h.status === 'ok') log.info('health ok', fields);
      else log.warn(`health ${h.status}`, fields);
      lastStatus = h.status;
      lastProblemKey = key;
      bus.emit('health.changed', { status: h.status, problems: h.problems.map((p) => ({ code: p.code, message: p.message, ...(p.subject !== undefined ? { subject: p.subject } : {}) })) });
    }
    if (h.clock_sync === 'unsynced' && clock.now() - lastUnsyncLog >= UNSYNC_LOG_EVERY_MS) {
      lastUnsyncLog = clock.now();
      log.warn('system clock not synchronised: skipping absolute expiry/age checks (docs/topics.md "Time")', {});
    }
    if (link) {
      link.setLastValue(topics.health(nodeId), h, { qos: 0 });
      counters.health_published++;
    }
  }

  // A change that alters the verdict (pump ERROR, camera offline, broker lost) is published within
  // a second instead of waiting for the next interval; bursts collapse into one publish.
  let soonTimer: TimerHandle | null = null;
  /** `force`: publish even when the verdict is unchanged (the payload's content changed: a camera stopped voting). */
  let soonForced = false;
  function publishSoon(force = false): void {
    soonForced ||= force;
    if (!running || soonTimer) return;
    soonTimer = clock.setTimer(CHANGE_DEBOUNCE_MS, () => {
      soonTimer = null;
      const forced = soonForced;
      soonForced = false;
      if (!running) return;
      const v = evaluateHealth(gather());
      if (forced || v.status !== lastStatus || problemKey(v.problems) !== lastProblemKey) publishHealth();
    });
  }

  let healthBusy = false;
  async function healthTick(): Promise<void> {
    if (healthBusy) return; // a slow timedatectl must not pile up probes
    healthBusy = true;
    try {
      await Promise.all([sync.refresh(), readDisk()]);
      if (running) publishHealth();
    } finally {
      healthBusy = false;
    }
  }

  let statsBusy = false;
  async function telemetryTick(): Promise<void> {
    if (statsBusy) return;
    statsBusy = true;
    try {
      const reading = await stats.read();
      last = reading;
      if (running && link) {
        link.publish(topics.telemetry(nodeId), last, { qos: 0 });
        counters.telemetry_published++;
      }
    } catch (err) {
      counters.stats_failures++;
      log.warn('system stats read failed; next reading at the next interval', { err });
    } finally {
      statsBusy = false;
    }
  }

  /** A repeating job on the injected clock (timers owned by this part, cancelled on stop). */
  function every(ms: number, job: () => Promise<void>): void {
    timers.push(
      repeatEvery(
        clock,
        ms,
        () => {
          if (!running) return false;
          void job();
        },
        { rearm: 'before' },
      ),
    );
  }

  return {
    async start() {
      if (running) return;
      running = true;
      bus.on('camera.status', OWNER, ({ camera, status }) => {
        busCameras.set(camera, { id: camera, status: status.status, fps: status.fps ?? null, error: status.error ?? null });
        publishSoon();
      });
      bus.on('pump.state', OWNER, (p) => {
        busPump = { state: p.state, error: p.error, armed: p.armed, stateLost: p.stateLost };
        publishSoon();
      });
      bus.on('consensus.state', OWNER, (c) => {
        busConsensus = { state: c.state };
      });
      // A trigger no pump acknowledged is a failed verdict: published now, not at the next interval.
      bus.on('consensus.trigger_unacknowledged', OWNER, () => publishSoon());
      // Health carries the cameras voting: a controller's health says "east silent" within a second.
      bus.on('consensus.cameras', OWNER, () => publishSoon(true));
      bus.on('mqtt.connection', OWNER, (e) => {
        busMqttState = e.to;
        publishSoon();
      });
      for (const filter of PEER_TOPICS) {
        link?.subscribe(filter, OWNER, parseEnvelopeStamp, (st, meta) => {
          // Retained copies are old by nature; our own messages say nothing about skew.
          if (!st || meta.retained || st.node === nodeId) return;
          skew.observe(st.node, st.tsMs, meta.receivedAt, clock.now());
          publishSoon(); // publishes only when the verdict changed
        });
      }
      await healthTick();
      every(config.healthIntervalSeconds * 1000, healthTick);
      every(config.intervalSeconds * 1000, telemetryTick);
      void telemetryTick();
    },
    stop() {
      running = false;
      for (const t of timers) t.cancel();
      timers = [];
      soonTimer?.cancel();
      soonTimer = null;
      bus.removeOwner(OWNER);
      link?.unsubscribeOwner(OWNER);
    },
    clockSynced: () => sync.clockSynced(),
    health,
    lastTelemetry: () => last,
    reportListener(name, result) {
      listeners.set(name, { name, ok: result.ok, reason: result.reason ?? null });
    },
    metrics() {
      const out: MetricSnapshot = {
        ...counters,
        health_status: STATUS_CODE[lastVerdict.status],
        health: { ok: 0, degraded: 0, failed: 0, [lastVerdict.status]: 1 },
        health_problems: lastVerdict.problems,
        clock_synced: sync.clockSynced() ? 1 : 0,
      };
      const sk = skew.estimate(clock.now());
      if (sk) {
        out.clock_skew_seconds = sk.offsetMs / 1000;
        out.clock_skew_peers = sk.peers;
      }
      if (last) {
        for (const k of ['cpu_percent', 'load1', 'mem_used_mb', 'rss_mb', 'disk_free_mb', 'cpu_temp_c'] as const) {
          const v = last[k];
          if (typeof v === 'number') out[k] = v;
        }
      }
      return out;
    },
  };
}

/**
 * `node_id` and `ts` of a peer's envelope, or null for anything else. Always ok at the link level:
 * these topics are only listened to for their timestamps, a foreign payload is not an error.
 */
function parseEnvelopeStamp(payload: Buffer): { ok: true; value: { node: string; tsMs: number } | null } {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: true, value: null };
  }
  const o = v as { node_id?: unknown; ts?: unknown } | null;
  if (!o || typeof o !== 'object' || typeof o.node_id !== 'string' || typeof o.ts !== 'number' || !Number.isFinite(o.ts)) return { ok: true, value: null };
  return { ok: true, value: { node: o.node_id.slice(0, 64), tsMs: o.ts * 1000 } };
}
