/**
 * The node's discovery part (issue 16): a round at start and every `intervalSeconds`, never
 * overlapping, never awaited by the start (a round takes seconds; nothing waits for it). Each round:
 * the identity tracker decides which configured cameras were found, moved or are missing; moved
 * and found cameras get their new URL through `applyUrl` (the camera role); the whole picture goes
 * to the retained `system/<node>/discovery` and to health. Discovered cameras that are not in the
 * config are reported and nothing else: discovery proposes, the config decides.
 */
import type { CameraOnvifIdentity } from '../capture/config.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { MetricSnapshot } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../log/redact.js';
import type { MqttLink } from '../mqtt/link.js';
import { topics } from '../topics/topics.js';
import type { DiscoveryConfig } from './config.js';
import { IdentityTracker, type IdentityEvent } from './identity.js';
import { configuredMatches } from './merge.js';
import { buildReport, type DiscoveryReport } from './report.js';
import { discoveryRound, type DiscoveryRound } from './round.js';

/** Options of {@link createDiscoveryService}. */
export interface DiscoveryServiceOptions {
  config: DiscoveryConfig;
  cameras: ReadonlyArray<{ id: string; url: string; enabled?: boolean; onvif?: CameraOnvifIdentity | undefined }>;
  nodeId: string;
  logger: Logger;
  clock: Clock;
  link?: MqttLink;
  /** Points a configured camera's source at a URL (the camera role). */
  applyUrl?: (camera: string, url: string) => void;
  /** Tells the camera role why a camera has no working URL (null: clear). */
  setNote?: (camera: string, note: string | null) => void;
  /** One round; replaced in tests of the schedule. */
  round?: (cfg: DiscoveryConfig) => Promise<DiscoveryRound>;
  /** Called after each round (tests and the bench wait on it). */
  onRound?: (report: DiscoveryReport, events: IdentityEvent[]) => void;
}

/** Health's view of discovery. */
export interface DiscoverySnapshot {
  rounds: number;
  last_round_at: number | null;
  cameras: number;
  unconfigured: number;
  /** Configured identity cameras not found in the last round. */
  missing: string[];
  report: DiscoveryReport | null;
}

/** The discovery service. */
export interface DiscoveryService {
  start(): void;
  stop(): Promise<void>;
  /** Runs a round now (unless one is running) and resolves when it is done. */
  runNow(): Promise<void>;
  snapshot(): DiscoverySnapshot;
  metrics(): MetricSnapshot;
}

/** Builds the service; nothing happens until start(). */
export function createDiscoveryService(o: DiscoveryServiceOptions): DiscoveryService {
  const log = o.logger;
  const cams = o.cameras.filter((c) => c.enabled !== false);
  const tracker = new IdentityTracker(cams, o.config.credentials);
  const round = o.round ?? discoveryRound;
  let timer: TimerHandle | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let rounds = 0;
  let lastAt: number | null = null;
  let last: DiscoveryReport | null = null;
  const rejected: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const m = { rounds: 0, moves: 0, found: 0, missing: 0, round_ms: 0, cameras: 0, unconfigured: 0, round_errors: 0 };
  const loggedNew = new Set<string>();

  const apply = (events: IdentityEvent[]) => {
    for (const e of events) {
      switch (e.type) {
        case 'found':
          m.found++;
          log.info('camera found by discovery', { camera: e.camera, address: e.address, url: redactUrl(e.url) });
          o.applyUrl?.(e.camera, e.url);
          o.setNote?.(e.camera, null);
          break;
        case 'moved':
          m.moves++;
          log.warn('camera moved to a new address; following it', { camera: e.camera, from: e.from, to: e.to, url: redactUrl(e.url) });
          o.applyUrl?.(e.camera, e.url);
          o.setNote?.(e.camera, null);
          break;
        case 'url_changed':
          log.info('camera stream URL changed; following it', { camera: e.camera, address: e.address, url: redactUrl(e.url) });
          o.applyUrl?.(e.camera, e.url);
          o.setNote?.(e.camera, null);
          break;
        case 'missing':
          m.missing++;
          log.warn('configured camera not found by discovery', { camera: e.camera, reason: e.reason });
          o.setNote?.(e.camera, e.reason);
          break;
        case 'conflict':
          log.error('several devices claim one configured camera; not following', { camera: e.camera, addresses: e.addresses });
          o.setNote?.(e.camera, e.reason);
          break;
        case 'no_stream':
          log.warn('configured camera found without a usable stream', { camera: e.camera, reason: e.reason });
          o.setNote?.(e.camera, e.reason);
          break;
      }
    }
  };

  const once = async () => {
    const r = await round(o.config);
    if (stopped) return;
    rounds++;
    lastAt = o.clock.wallNow();
    for (const [k, n] of Object.entries(r.rejected)) rejected[k] = (rejected[k] ?? 0) + (n ?? 0);
    for (const [k, n] of Object.entries(r.queryFailures)) failures[k] = (failures[k] ?? 0) + (n ?? 0);
    // A round that could not probe at all (no interface) says nothing about where cameras are.
    const events = r.interfaces.length > 0 ? tracker.update(r.cameras, lastAt) : [];
    apply(events);
    const configured = configuredMatches(cams, r.cameras);
    for (const [i, c] of r.cameras.entries()) {
      const key = c.serial ?? c.mac ?? c.endpoint ?? c.address;
      if (!configured.has(i) && !loggedNew.has(key)) {
        loggedNew.add(key);
        log.info('camera discovered (not configured: reported only)', { address: c.address, source: c.source, model: c.model, serial: c.serial });
      }
    }
    if (r.errors.length) log.warn('discovery round problems', { errors: r.errors });
    last = buildReport({ nodeId: o.nodeId, ts: lastAt, round: rounds, result: r, configured, identities: tracker.snapshot() });
    m.rounds = rounds;
    m.round_ms = r.durationMs;
    m.cameras = r.cameras.length;
    m.unconfigured = r.cameras.length - configured.size;
    o.link?.setLastValue(topics.discovery(o.nodeId), { ...last, id: `${o.nodeId}-discovery-${rounds}` }, { qos: 1 });
    o.onRound?.(last, events);
  };

  const runNow = (): Promise<void> => {
    if (running) return running;
    running = once()
      .catch((err) => {
        // A round never throws by design; one that does is a bug: logged, counted, and the schedule goes on.
        m.round_errors++;
        log.error('discovery round failed', { error: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = o.clock.setTimer(o.config.intervalSeconds * 1000, () => {
      void runNow().then(schedule);
    });
  };

  return {
    start() {
      if (timer || stopped) return;
      log.info('discovery started', { interfaces: o.config.interfaces.length ? o.config.interfaces : 'all', interval_s: o.config.intervalSeconds, identities: tracker.size });
      void runNow().then(schedule);
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
      await running;
    },
    runNow,
    snapshot() {
      return {
        rounds,
        last_round_at: lastAt === null ? null : lastAt / 1000,
        cameras: m.cameras,
        unconfigured: m.unconfigured,
        missing: tracker.snapshot().filter((s) => s.status === 'missing').map((s) => s.camera),
        report: last,
      };
    },
    metrics() {
      return {
        discovery_rounds: m.rounds,
        discovery_round_ms: m.round_ms,
        discovery_cameras: m.cameras,
        discovery_unconfigured: m.unconfigured,
        discovery_moves: m.moves,
        discovery_found: m.found,
        discovery_missing: m.missing,
        discovery_rejected: { ...rejected },
        discovery_query_failures: { ...failures },
        discovery_round_errors: m.round_errors,
      };
    },
  };
}
