/**
 * The production path of the worker: esbuild bundles src/detect/worker.ts exactly as build.mjs
 * does, and the host resolves it as the sibling `detect-worker.mjs` of the bundled main module.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { cameraConfigSchema } from '../../src/capture/config.js';
import { systemClock } from '../../src/core/clock.js';
import { seededRandom } from '../../src/core/random.js';
import { detectConfigSchema } from '../../src/detect/config.js';
import { resolveWorkerScript, WorkerHost } from '../../src/detect/worker-host.js';
import type { FromWorker } from '../../src/detect/worker-protocol.js';
import { silentLogger } from '../../src/log/logger.js';

let host: WorkerHost | null = null;
afterAll(async () => host?.stop());

describe('bundled detector worker', () => {
  it('resolves dist/detect-worker.mjs beside the bundle and runs it without tsx', async () => {
    expect(resolveWorkerScript('file:///opt/wfe/dist/wildfire-edge.mjs')).toEqual({ url: new URL('file:///opt/wfe/dist/detect-worker.mjs'), tsx: false });
    expect(resolveWorkerScript('file:///src/detect/worker-host.ts')).toEqual({ url: new URL('file:///src/detect/worker.ts'), tsx: true });

    // Inside node_modules/.cache so the external natives resolve from the project's node_modules.
    const dir = join(process.cwd(), 'node_modules', '.cache', 'wfe-test-bundle');
    mkdirSync(dir, { recursive: true });
    await build({
      entryPoints: { 'detect-worker': 'src/detect/worker.ts' },
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      external: ['onnxruntime-node', 'sharp', 'rpio', 'node-libgpiod'],
      banner: { js: "import { createRequire as __wfeCreateRequire } from 'node:module'; const require = __wfeCreateRequire(import.meta.url);" },
      logLevel: 'error',
    });
    const script = resolveWorkerScript(pathToFileURL(join(dir, 'wildfire-edge.mjs')).href);
    const got: FromWorker[] = [];
    host = new WorkerHost({
      init: {
        cameras: [cameraConfigSchema.parse({ id: 'b', url: 'lavfi:testsrc=size=160x90:rate=5', fps: 5, width: 160, height: 90 })],
        detect: detectConfigSchema.parse({ model: 'test/fixtures/models/yolov8-const.onnx', threshold: 0.5, threads: 1, snapshot: { enabled: false } }),
        stateDir: dir,
      },
      logger: silentLogger(),
      clock: systemClock,
      random: seededRandom(1),
      onMessage: (m) => got.push(m),
      onCrash: () => undefined,
      script,
    });
    const r = await host.start();
    expect(r.ok && r.value.labels).toEqual(['fire', 'smoke']);
    const t0 = Date.now();
    while (!got.some((m) => m.type === 'detections') && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 25));
    const d = got.find((m) => m.type === 'detections');
    expect(d && d.type === 'detections' && d.detections.map((x) => x.label)).toEqual(['fire', 'smoke', 'fire']);
    await host.stop();
    expect(host.state).toBe('stopped');
  });
});
