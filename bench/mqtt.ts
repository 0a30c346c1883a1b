/**
 * MQTT core benchmark (issue 2): QoS 1 publish throughput through the core (durable outbox on, fsync
 * mode stated) against plain mqtt.js on the same local Mosquitto, in one run; and the time from a
 * broker restart to reconnected (median over 10 restarts). Run: `node --import tsx bench/run.ts mqtt`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { silentLogger } from '../src/log/logger.js';
import { createMqttCore, mqttConfigSchema, type MqttCore } from '../src/mqtt/index.js';
import { TestMosquitto } from '../test/helpers/mosquitto.js';
import type { BenchFigure } from './types.js';

const N = 20_000;
const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function payload(i: number) {
  return { camera_id: 'north', frame: { width: 640, height: 360, seq: i }, detections: [{ label: 'smoke', score: 0.87, box: [0.1, 0.2, 0.3, 0.4] }] };
}

/** Plain mqtt.js: N QoS 1 publishes, resolved when every PUBACK is in. */
async function plainRun(url: string): Promise<number> {
  const c = await connectAsync(url, { protocolVersion: 5, clientId: `bench-plain-${process.pid}`, clean: true, reconnectPeriod: 0 });
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    let left = N;
    for (let i = 0; i < N; i++) {
      // Same envelope fields the core adds, so both send the same bytes.
      const body = JSON.stringify({ v: 1, id: `abcdef012345-${i.toString(36)}`, node_id: 'bench', ts: Date.now() / 1000, ...payload(i) });
      c.publish('bench/plain', body, { qos: 1 }, (err) => (err ? reject(err) : --left === 0 && resolve()));
    }
  });
  const rate = N / ((performance.now() - t0) / 1000);
  await c.endAsync();
  return rate;
}

async function waitUntil(pred: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('bench timed out');
    await sleep(2);
  }
}

function makeCore(url: string, stateDir: string, over: Record<string, unknown> = {}): MqttCore {
  return createMqttCore({
    config: mqttConfigSchema.parse({ url, protocolVersion: 5, ...over }),
    nodeId: `bench-${process.pid}`,
    stateDir,
    logger: silentLogger(),
  });
}

/** The core: N QoS 1 publishes through the durable outbox, resolved when every one is acknowledged. */
async function coreRun(url: string, fsync: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-bench-'));
  // The outbox must hold the whole burst (default bound 10 000 would drop the excess by design).
  const core = makeCore(url, dir, { outbox: { fsync, maxMessages: 4 * N, maxBytes: 256 * 1024 * 1024 } });
  await core.start();
  await waitUntil(() => core.connectionState() === 'CONNECTED');
  await waitUntil(() => core.metrics().outbox_depth === 0);
  const base = core.metrics().outbox_acked_total as number;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) core.publish('bench/core', payload(i), { qos: 1 });
  await waitUntil(() => (core.metrics().outbox_acked_total as number) - base >= N);
  const rate = N / ((performance.now() - t0) / 1000);
  await core.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/** Time from the broker accepting connections again to the core being CONNECTED, 10 restarts. */
async function reconnectTimes(broker: TestMosquitto, baseMs: number, capMs: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-bench-'));
  const core = makeCore(broker.url, dir, { backoff: { baseMs, capMs }, connectTimeoutSeconds: 2 });
  await core.start();
  await waitUntil(() => core.connectionState() === 'CONNECTED');
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    await broker.stop('SIGTERM');
    await waitUntil(() => core.connectionState() !== 'CONNECTED');
    await sleep(300); // a few failed attempts while it is down
    await broker.start(); // resolves when the port accepts connections
    const t0 = performance.now();
    await waitUntil(() => core.connectionState() === 'CONNECTED', 30_000);
    times.push(performance.now() - t0);
  }
  await core.close();
  rmSync(dir, { recursive: true, force: true });
  return times;
}

/** Run the MQTT benchmark. */
export async function run(): Promise<BenchFigure[]> {
  const broker = new TestMosquitto({ persistence: false });
  await broker.start();
  try {
    await plainRun(broker.url); // warm-up (JIT, broker)
    await coreRun(broker.url, 'always');
    const plain: number[] = [];
    const always: number[] = [];
    const never: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order each round so drift in machine load does not favour one side.
      if (r % 2 === 0) {
        plain.push(await plainRun(broker.url));
        always.push(await coreRun(broker.url, 'always'));
      } else {
        always.push(await coreRun(broker.url, 'always'));
        plain.push(await plainRun(broker.url));
      }
      ratios.push(always[r] / plain[r]);
      never.push(await coreRun(broker.url, 'never'));
    }
    const p = median(plain);
    const a = median(always);
    const nv = median(never);
    const base = 100;
    const cap = 1000;
    const rt = await reconnectTimes(broker, base, cap);
    const note = `${N} QoS 1 msgs (~200 B JSON), MQTT 5, local Mosquitto 2, median of ${ROUNDS}`;
    return [
      { name: 'mqtt.qos1_plain_mqttjs', value: Math.round(p), unit: 'msg/s', note },
      { name: 'mqtt.qos1_core_fsync_always', value: Math.round(a), unit: 'msg/s', note: `${note}; outbox fsync=always (group commit, default)` },
      { name: 'mqtt.qos1_core_vs_plain_ratio', value: a / p, unit: 'ratio', goal: '>= 0.8', note: 'median core (fsync=always) / median plain mqtt.js' },
      { name: 'mqtt.qos1_core_vs_plain_ratio_per_round_median', value: median(ratios), unit: 'ratio', note: `per-round ratios ${ratios.map((x) => x.toFixed(2)).join(' ')}` },
      { name: 'mqtt.qos1_core_fsync_never', value: Math.round(nv), unit: 'msg/s', note: `${note}; outbox fsync=never` },
      { name: 'mqtt.qos1_core_fsync_never_ratio', value: nv / p, unit: 'ratio', note: 'core (fsync=never) / plain mqtt.js' },
      {
        name: 'mqtt.reconnect_after_broker_restart_median',
        value: Math.round(median(rt)),
        unit: 'ms',
        note: `median of 10 SIGTERM restarts, backoff base ${base} ms cap ${cap} ms (full jitter); max ${Math.round(Math.max(...rt))} ms`,
      },
    ];
  } finally {
    await broker.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of await run()) console.log(JSON.stringify(f));
}
