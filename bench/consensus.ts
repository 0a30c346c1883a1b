/**
 * Consensus throughput (issue 4): accepted detections per second through the pure engine with
 * 8 cameras, 1–3 tracks each, growing boxes, message ids (de-duplication on) and the evaluation
 * timer's work included; plus the full inbound path of own messages (JSON + schema + engine).
 * Run alone: `node --import tsx bench/run.ts consensus`.
 */
import { fileURLToPath } from 'node:url';
import type { Clock } from '../src/core/clock.js';
import { ConsensusEngine, parseConsensusConfig, type Observation, type ObservationBatch } from '../src/consensus/index.js';
import { parseOwnMessage } from '../src/consensus/inputs/own.js';
import { parseJsonObject } from '../src/consensus/inputs/common.js';
import type { BenchFigure } from './types.js';

const CAMERAS = 8;
/** Virtual time between messages: 8 cameras at 5 fps each. */
const STEP_MS = 25;

/** A clock the benchmark moves by hand (the engine never sleeps). */
function manualClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    wallNow: () => 1_764_200_000_000 + c.t,
    setTimer: () => ({ cancel: () => undefined }),
  };
  return c;
}

/** Tracks per camera: 1, 2, 3, 1, 2, 3, ... */
const tracksOf = (cam: number) => 1 + (cam % 3);

function engineRun(messages: number): { detections: number; ms: number; triggers: number } {
  const clock = manualClock();
  let ids = 0;
  const engine = new ConsensusEngine({
    config: parseConsensusConfig({ threshold: 2, cooldownSeconds: 60 }),
    clock,
    idFactory: () => `t${++ids}`,
  });
  const cams = Array.from({ length: CAMERAS }, (_, i) => `cam${i}`);
  const items: Observation[] = [0, 1, 2].map(() => ({ label: 'fire', score: 0.8, x1: 0, y1: 0, x2: 0, y2: 0, track: 0 }));
  const batch: ObservationBatch = { source: 'own', camera: '', items, count: 0, minScore: 0.5 };
  let detections = 0;
  let nextTick = 1000;
  const t0 = performance.now();
  for (let m = 0; m < messages; m++) {
    const cam = m % CAMERAS;
    const frame = Math.floor(m / CAMERAS);
    const n = tracksOf(cam);
    for (let k = 0; k < n; k++) {
      // Each track grows slowly for 60 s of frames, then starts small again.
      const side = 0.05 + 0.0004 * (frame % 300) + 0.01 * k;
      const o = items[k];
      o.x1 = 0.1 + 0.25 * k;
      o.y1 = 0.1;
      o.x2 = o.x1 + side;
      o.y2 = o.y1 + side;
      o.track = k;
    }
    batch.camera = cams[cam];
    batch.count = n;
    batch.messageId = `m${m}`;
    const out = engine.ingest(batch);
    detections += out.accepted;
    clock.t += STEP_MS;
    if (clock.t >= nextTick) {
      engine.tick();
      nextTick += 1000;
    }
  }
  return { detections, ms: performance.now() - t0, triggers: engine.counters.triggers };
}

function fullPathRun(messages: number): { detections: number; ms: number } {
  const clock = manualClock();
  const engine = new ConsensusEngine({ config: parseConsensusConfig({}), clock, idFactory: () => 'x' });
  const ctx = { modelThreshold: 0.5 };
  const payloads = Array.from({ length: 600 }, (_, f) =>
    Buffer.from(
      JSON.stringify({
        v: 1,
        node_id: 'n',
        ts: 0,
        frame: { width: 640, height: 360, seq: f },
        model: { name: 'm', threshold: 0.5 },
        detections: [0, 1].map((k) => ({ label: 'fire', score: 0.8, box: [0.1 + 0.3 * k, 0.1, 0.15 + 0.3 * k + 0.0004 * f, 0.15 + 0.0004 * f], track: k })),
      }),
    ),
  );
  let detections = 0;
  const t0 = performance.now();
  for (let m = 0; m < messages; m++) {
    const cam = m % CAMERAS;
    const obj = parseJsonObject(payloads[Math.floor(m / CAMERAS) % payloads.length]);
    if (!obj.ok) continue;
    const b = parseOwnMessage(obj.value, `cam${cam}`, ctx);
    if (!b.ok) continue;
    detections += engine.ingest(b.value).accepted;
    clock.t += STEP_MS;
  }
  return { detections, ms: performance.now() - t0 };
}

/** The figures. */
export async function run(): Promise<BenchFigure[]> {
  engineRun(50_000); // warm-up (JIT)
  const e = engineRun(400_000);
  fullPathRun(5_000);
  const f = fullPathRun(40_000);
  return [
    {
      name: 'consensus.engine_detections_per_s',
      value: Math.round(e.detections / (e.ms / 1000)),
      unit: 'det/s',
      goal: '>= 200000',
      note: `8 cameras, 1-3 growing tracks each, ids de-duplicated, timer sweeps included; ${e.detections} detections, ${e.triggers} triggers`,
    },
    {
      name: 'consensus.own_message_full_path_per_s',
      value: Math.round(f.detections / (f.ms / 1000)),
      unit: 'det/s',
      note: 'JSON decode + zod schema + engine, 2 detections a message',
    },
  ];
}

// Runnable alone: `node --import tsx bench/consensus.ts`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const fig of await run()) console.log(JSON.stringify(fig));
}
