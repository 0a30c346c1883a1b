import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createApp, type App } from '../../src/app/index.js';
import { parseConfigObject } from '../../src/config/index.js';
import { systemClock } from '../../src/core/clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { DEFAULT_PINS, MockGpioDriver } from '../../src/pump/index.js';
import type { TriggerMessage } from '../../src/topics/payloads.js';
import { afterAll, beforeAll } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';

/** Committed footage (deploy/demo/make-footage.mjs renders it from fire-dev TRAIN photos). */
export const FOOTAGE = {
  fireNorthDir: resolve('deploy/demo/footage/fire-north'),
  fireEastDir: resolve('test/fixtures/footage/fire-east'),
  fireEastMp4: resolve('test/fixtures/footage/fire-east.mp4'),
  negativeDir: resolve('test/fixtures/footage/negative'),
};

/** The two-camera fire scene of the e2e tests: a `dir://` camera (sharp) and an `.mp4` camera (real ffmpeg). */
export const FIRE_CAMERAS = [
  { id: 'north', url: `dir://${FOOTAGE.fireNorthDir}` },
  { id: 'east', url: FOOTAGE.fireEastMp4 },
];

/** Pump timings shortened for tests (mock driver only allows these). */
export const SHORT_PUMP_TIMINGS = {
  preOpenDelay: 1,
  ignitionOnLeadTime: 0.2,
  ignitionStartDuration: 0.5,
  primingDuration: 2,
  fireOffDelay: 30,
  rpmReductionDuration: 0.5,
  rpmReductionLead: 2,
  maxEngineRuntime: 40,
  ignitionOffDuration: 0.5,
  valveCloseDelay: 1,
  cooldownDuration: 1,
};

/** One camera of a test node. */
export interface TestCamera {
  id: string;
  url: string;
  loop?: boolean;
}

/** Options for {@link startNode}. */
export interface NodeOptions {
  brokerUrl: string;
  cameras: TestCamera[];
  threshold: number;
  nodeId?: string;
  /** Detector model; default the shipped default model (WFE_E2E_MODEL overrides, for debugging). */
  model?: string;
}

/** A running node plus what the test observes of it. */
export interface NodeUnderTest {
  app: App;
  gpio: MockGpioDriver;
  logs: ReturnType<typeof memoryLogger>['lines'];
  /** Triggers the local consensus put on the bus (local-first path). */
  triggers: TriggerMessage[];
  /** Monotonic ms (performance.now) of the earliest captured frame any camera reported. */
  firstFrameAt(): number | null;
  /** Monotonic ms the main valve pin first went high (mock driver timeline). */
  mainValveOpenedAt(): number | null;
  /** Number of detection messages carrying fire/smoke, by camera. */
  fireMessages: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Build and start a whole node in this process: real MQTT core against `brokerUrl`, the camera role
 * with the default model in its worker thread, consensus and the pump on a mock GPIO driver whose
 * pin timeline the test reads. Nothing is faked between the camera source and the pins.
 */
export async function startNode(o: NodeOptions): Promise<NodeUnderTest> {
  const nodeId = o.nodeId ?? 'e2e-node';
  const stateDir = mkdtempSync(join(tmpdir(), 'wfe-e2e-'));
  const raw = {
    node: { id: nodeId },
    stateDir,
    mqtt: { url: o.brokerUrl, backoff: { baseMs: 100, capMs: 500 }, closeGraceMs: 1000, outbox: { fsync: 'never' } },
    cameras: o.cameras.map((c) => ({ id: c.id, url: c.url, fps: 2, width: 320, height: 240, loop: c.loop ?? true })),
    consensus: { threshold: o.threshold },
    pump: { driver: 'mock', timings: SHORT_PUMP_TIMINGS },
    http: { enabled: false },
    ...(o.model ?? process.env.WFE_E2E_MODEL ? { detect: { model: o.model ?? process.env.WFE_E2E_MODEL } } : {}),
  };
  const loaded = parseConfigObject(raw, 'e2e', { env: {} });
  if (!loaded.ok) throw new Error(loaded.reason);
  const logger = memoryLogger('info');
  const gpio = new MockGpioDriver({ clock: systemClock });
  const app = createApp({ config: loaded.value.config, logger, overrides: { pumpDriver: gpio } });
  const triggers: TriggerMessage[] = [];
  const fireMessages = new Map<string, number>();
  let firstFrame: number | null = null;
  app.bus.on('trigger', 'e2e', (t) => void triggers.push(t));
  app.bus.on('detections', 'e2e', ({ camera, message }) => {
    // captured_at is wall-clock seconds; convert to the monotonic scale of the pin timeline.
    const captured = message.frame?.captured_at;
    const mono = typeof captured === 'number' ? performance.now() - (Date.now() - captured * 1000) : performance.now();
    if (firstFrame === null || mono < firstFrame) firstFrame = mono;
    if (message.detections.some((d) => d.label === 'fire' || d.label === 'smoke')) fireMessages.set(camera, (fireMessages.get(camera) ?? 0) + 1);
  });
  const started = await app.start();
  if (!started.ok) throw new Error(`node did not start: ${started.reason}`);
  return {
    app,
    gpio,
    logs: logger.lines,
    triggers,
    fireMessages,
    firstFrameAt: () => firstFrame,
    mainValveOpenedAt: () => gpio.timeline.find((c) => c.pin === DEFAULT_PINS.mainValve && c.kind === 'output' && c.level === 1)?.t ?? null,
    stop: () => app.stop('test end'),
  };
}

/** Poll `cond` every 50 ms until true or `timeoutMs` passes (returns the final value). */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * For the calling describe: a Mosquitto of its own, started before its tests, and a starter for the
 * node under test on that broker; node then broker are stopped after the describe.
 */
export function useNodeOnOwnBroker(): (o: Omit<NodeOptions, 'brokerUrl'>) => Promise<NodeUnderTest> {
  const broker = new TestMosquitto();
  let node: NodeUnderTest | undefined;
  beforeAll(() => broker.start());
  afterAll(async () => {
    await node?.stop();
    await broker.stop();
  });
  return async (o) => {
    node = await startNode({ ...o, brokerUrl: broker.url });
    return node;
  };
}
