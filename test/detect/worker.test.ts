/**
 * The worker thread as the main thread sees it: main-thread timers keep firing while the worker
 * runs inference back to back, and a crashed worker is restarted (bounded backoff) and resumes.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppBus } from '../../src/bus/index.js';
import { cameraConfigSchema } from '../../src/capture/config.js';
import { systemClock } from '../../src/core/clock.js';
import { seededRandom } from '../../src/core/random.js';
import { detectConfigSchema } from '../../src/detect/config.js';
import { createCameraRole, type CameraRole } from '../../src/detect/index.js';
import { WorkerHost } from '../../src/detect/worker-host.js';
import type { FromWorker } from '../../src/detect/worker-protocol.js';
import { silentLogger } from '../../src/log/logger.js';

const FIX = 'test/fixtures/models';
let role: CameraRole | null = null;
let host: WorkerHost | null = null;
afterEach(async () => {
  await role?.stop();
  await host?.stop();
  role = host = null;
});

const until = async (cond: () => boolean, ms: number, what: string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('detector worker', () => {
  it('main-thread timers keep firing while the worker is saturated', async () => {
    // Two 30 fps cameras into the realistic-compute fixture on one ORT thread: more frames than
    // the worker can process, so it runs inference back to back.
    const cams = ['a', 'b'].map((id) => cameraConfigSchema.parse({ id, url: 'lavfi:testsrc=size=640x360:rate=30', fps: 30, width: 640, height: 360 }));
    role = createCameraRole({
      cameras: cams,
      detect: detectConfigSchema.parse({ model: join(FIX, 'bench-yolo-320.onnx'), threshold: 0.5, threads: 1, snapshot: { enabled: false } }),
      nodeId: 'pi-test',
      stateDir: mkdtempSync(join(tmpdir(), 'wfe-resp-')),
      logger: silentLogger(),
      bus: createAppBus(),
    });
    expect((await role.start()).ok).toBe(true);
    await until(() => (role!.metrics().detect_frames_processed as number) >= 5, 30_000, 'inference running');
    const before = role.metrics().detect_frames_processed as number;
    // 3 s of 20 ms main-thread ticks: 150 expected; a blocked main thread would get a handful.
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const iv = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 20);
    await new Promise((r) => setTimeout(r, 3000));
    clearInterval(iv);
    const processed = (role.metrics().detect_frames_processed as number) - before;
    expect(processed).toBeGreaterThanOrEqual(15);
    expect(ticks).toBeGreaterThanOrEqual(60);
    expect(maxGap).toBeLessThan(1000);
  });

  it('a crashed worker is restarted with backoff and resumes detections', async () => {
    const got: FromWorker[] = [];
    const crashes: Array<[string, boolean]> = [];
    host = new WorkerHost({
      init: {
        cameras: [cameraConfigSchema.parse({ id: 'c1', url: 'lavfi:testsrc=size=160x90:rate=10', fps: 10, width: 160, height: 90 })],
        detect: detectConfigSchema.parse({ model: join(FIX, 'yolov8-const.onnx'), threshold: 0.5, threads: 1, snapshot: { enabled: false } }),
        stateDir: mkdtempSync(join(tmpdir(), 'wfe-crash-')),
      },
      logger: silentLogger(),
      clock: systemClock,
      random: seededRandom(5),
      onMessage: (m) => got.push(m),
      onCrash: (reason, gaveUp) => crashes.push([reason, gaveUp]),
      restartMinMs: 100,
      restartMaxMs: 400,
    });
    const r = await host.start();
    expect(r.ok && r.value.layout).toBe('yolov8');
    const count = () => got.filter((m) => m.type === 'detections').length;
    await until(() => count() >= 3, 20_000, 'detections');
    await host.kill();
    await until(() => crashes.length === 1, 5_000, 'the crash report');
    expect(crashes[0]).toEqual([expect.stringMatching(/detector worker exited with code 1/), false]);
    const atCrash = count();
    await until(() => host!.state === 'running' && count() >= atCrash + 3, 30_000, 'detections after the restart');
    expect(host.restarts).toBe(1);
  });

  it('a URL given by discovery (camera.url) starts a waiting camera and survives a worker restart (issue 16)', async () => {
    const got: FromWorker[] = [];
    host = new WorkerHost({
      init: {
        cameras: [cameraConfigSchema.parse({ id: 'c1', onvif: { serial: 'SN1' }, fps: 10, width: 160, height: 90 })],
        detect: detectConfigSchema.parse({ model: join(FIX, 'yolov8-const.onnx'), threshold: 0.5, threads: 1, snapshot: { enabled: false } }),
        stateDir: mkdtempSync(join(tmpdir(), 'wfe-url-')),
      },
      logger: silentLogger(),
      clock: systemClock,
      random: seededRandom(5),
      onMessage: (m) => got.push(m),
      onCrash: () => undefined,
      restartMinMs: 100,
      restartMaxMs: 400,
    });
    expect((await host.start()).ok).toBe(true);
    const count = () => got.filter((m) => m.type === 'detections').length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(count()).toBe(0);
    host.setCameraUrl('c1', 'lavfi:testsrc=size=160x90:rate=10');
    await until(() => count() >= 3, 20_000, 'detections once the URL is set');
    await host.kill();
    await until(() => host!.restarts === 1 && host!.state === 'running', 20_000, 'the restart');
    const atRestart = count();
    // The restarted worker starts from its init data, which now holds the discovered URL.
    await until(() => count() >= atRestart + 3, 30_000, 'detections after the restart without a new camera.url');
  });

  it('restarts that fail before ready count as crashes; the host gives up loudly after maxCrashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-giveup-'));
    const model = join(dir, 'm.onnx');
    copyFileSync(join(FIX, 'yolov8-const.onnx'), model);
    const crashes: Array<[string, boolean]> = [];
    host = new WorkerHost({
      init: {
        cameras: [cameraConfigSchema.parse({ id: 'c1', url: 'lavfi:testsrc=size=160x90:rate=5', fps: 5, width: 160, height: 90 })],
        detect: detectConfigSchema.parse({ model, threshold: 0.5, threads: 1, snapshot: { enabled: false } }),
        stateDir: dir,
      },
      logger: silentLogger(),
      clock: systemClock,
      random: seededRandom(2),
      onMessage: () => undefined,
      onCrash: (reason, gaveUp) => crashes.push([reason, gaveUp]),
      restartMinMs: 50,
      restartMaxMs: 100,
      maxCrashes: 2,
    });
    expect((await host.start()).ok).toBe(true);
    // The model disappears, then the worker dies: every restart is refused before `ready`.
    rmSync(model);
    await host.kill();
    await until(() => crashes.some((c) => c[1]), 40_000, 'the host to give up');
    expect(crashes.map((c) => c[1])).toEqual([false, false, true]);
    expect(crashes[1][0]).toMatch(/model file not found/);
    expect(crashes[2][0]).toMatch(/gave up after 2 restarts/);
    expect(host.state).toBe('failed');
    expect(host.restarts).toBe(2);
  });
});
