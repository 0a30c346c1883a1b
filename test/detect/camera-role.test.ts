/**
 * The camera role end to end: a real worker thread (started from source with tsx), real ffmpeg or
 * sharp sources, fixture models; published messages are asserted on a FakeLink and the bus.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppBus } from '../../src/bus/index.js';
import { cameraConfigSchema, type CameraConfigInput } from '../../src/capture/config.js';
import { detectConfigSchema } from '../../src/detect/config.js';
import { createCameraRole, type CameraRole } from '../../src/detect/index.js';
import { memoryLogger } from '../../src/log/logger.js';
import { detectionMessageSchema, type DetectionMessage } from '../../src/topics/payloads.js';
import { FakeLink } from '../helpers/fake-link.js';

const FIX = 'test/fixtures/models';
let role: CameraRole | null = null;
afterEach(async () => {
  await role?.stop();
  role = null;
});

const until = async (cond: () => boolean, ms: number, what: string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

function setup(cams: CameraConfigInput[], detect: Record<string, unknown>, clockSynced?: () => boolean) {
  const stateDir = mkdtempSync(join(tmpdir(), 'wfe-role-'));
  const link = new FakeLink('pi-test');
  const bus = createAppBus();
  const busDetections: Array<{ camera: string; message: DetectionMessage }> = [];
  const busStatus: string[] = [];
  bus.on('detections', 'test', (e) => busDetections.push(e));
  bus.on('camera.status', 'test', (e) => busStatus.push(`${e.camera}:${e.status.status}`));
  const logger = memoryLogger('info');
  role = createCameraRole({
    cameras: cams.map((c) => cameraConfigSchema.parse(c)),
    detect: detectConfigSchema.parse({ threads: 1, ...detect }),
    nodeId: 'pi-test',
    stateDir,
    logger,
    bus,
    link,
    clockSynced,
  });
  return { role, link, bus, busDetections, busStatus, stateDir, logger };
}

const detections = (link: FakeLink, cam: string) => link.published.filter((p) => p.topic === `fire/detection/${cam}`);

describe('camera role liveness', () => {
  it('a worker that stops producing results while its camera is online is restarted and counted', async () => {
    const logger = memoryLogger('info');
    role = createCameraRole({
      // The hang threshold also covers stallSeconds of repeated pictures, so keep it short here.
      cameras: [cameraConfigSchema.parse({ id: 'north', url: 'rtsp://10.0.0.5/s', stallSeconds: 1 })],
      detect: detectConfigSchema.parse({ hangSeconds: 1 }),
      nodeId: 'pi-test',
      stateDir: mkdtempSync(join(tmpdir(), 'wfe-hang-')),
      logger,
      bus: createAppBus(),
      worker: { script: { url: new URL('./fixtures/wedged-worker.mjs', import.meta.url), tsx: false }, restartMinMs: 100, restartMaxMs: 200 },
    });
    expect((await role.start()).ok).toBe(true);
    await until(() => (role!.metrics().detect_worker_hangs as number) >= 1 && role!.snapshot().detector.restarts >= 1, 20_000, 'the hang noticed and the worker restarted');
    expect(logger.lines.some((l) => l.msg === 'detector stuck; restarting its worker')).toBe(true);
    expect(role.metrics().detect_worker_crashes).toBeGreaterThanOrEqual(1);
  });
});

describe('camera role (worker thread, real sources)', () => {
  it('leaves captured_at out while this node\'s clock is not synchronised (the receiver uses arrival time)', async () => {
    let synced = false;
    const s = setup([{ id: 'north', url: 'lavfi:testsrc=size=160x90:rate=10', fps: 10, width: 160, height: 90 }], { model: join(FIX, 'yolov8-const.onnx'), threshold: 0.5, snapshot: { enabled: false } }, () => synced);
    expect((await s.role.start()).ok).toBe(true);
    await until(() => detections(s.link, 'north').length >= 2, 30_000, 'detections before sync');
    const before = detections(s.link, 'north').length;
    synced = true;
    await until(() => detections(s.link, 'north').length >= before + 2, 30_000, 'detections after sync');
    const frames = detections(s.link, 'north').map((p) => (p.payload as DetectionMessage).frame!);
    expect(frames.slice(0, before).every((f) => f.captured_at === undefined)).toBe(true);
    // Messages are built on this thread when results arrive, so every one after the flip has it.
    expect(frames.slice(before).every((f) => typeof f.captured_at === 'number')).toBe(true);
    for (const p of detections(s.link, 'north')) expect(detectionMessageSchema.safeParse(p.payload).success).toBe(true);
  });

  it('publishes own-format detections (QoS 1, priority 2), the same message on the bus, status and a snapshot', async () => {
    const s = setup([{ id: 'north', url: 'lavfi:testsrc=size=320x180:rate=5', fps: 5, width: 320, height: 180 }], {
      model: join(FIX, 'yolov8-const.onnx'),
      threshold: 0.5,
      snapshot: { minIntervalSeconds: 60 },
    });
    const started = await s.role.start();
    expect(started).toEqual({ ok: true, value: undefined });
    await until(() => detections(s.link, 'north').length >= 3 && s.link.lastValues.has('camera/north/snapshot'), 30_000, 'detections and a snapshot');

    const pubs = detections(s.link, 'north');
    for (const p of pubs) expect(p.opts).toEqual({ qos: 1, priority: 2 });
    const msgs = pubs.map((p) => p.payload as DetectionMessage);
    for (const msg of msgs) {
      expect(detectionMessageSchema.safeParse(msg).success).toBe(true);
      expect(msg).toMatchObject({ v: 1, node_id: 'pi-test', camera_id: 'north', frame: { width: 320, height: 180 }, model: { name: 'yolov8-const', threshold: 0.5 } });
      // A square-ish 320x180 frame: gain 1, 70 px padding top and bottom (see detector tests).
      expect(msg.detections.map((d) => [d.label, +d.score.toFixed(2), d.box.map((v) => +v.toFixed(4))])).toEqual([
        ['fire', 0.9, [80 / 320, 20 / 180, 120 / 320, 40 / 180].map((v) => +v.toFixed(4))],
        ['smoke', 0.7, [80 / 320, 20 / 180, 120 / 320, 40 / 180].map((v) => +v.toFixed(4))],
        ['fire', 0.5, [200 / 320, 130 / 180, 260 / 320, 170 / 180].map((v) => +v.toFixed(4))],
      ]);
    }
    // Unique ids, increasing frame seq, stable track ids for boxes that do not move.
    expect(new Set(msgs.map((x) => x.id)).size).toBe(msgs.length);
    expect(msgs.map((x) => x.detections.map((d) => d.track))).toEqual(msgs.map(() => [1, 2, 3]));
    const seqs = msgs.map((x) => x.frame!.seq!);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    // The bus carries the very same message objects (same ids: consensus de-duplicates).
    const busIds = s.busDetections.filter((e) => e.camera === 'north').map((e) => e.message.id);
    expect(busIds.slice(0, msgs.length)).toEqual(msgs.map((x) => x.id));
    expect(s.busDetections[0].message).toBe(msgs[0]);

    const status = s.link.lastValues.get('camera/north/status') as Record<string, unknown>;
    expect(status).toMatchObject({ status: 'online', camera_id: 'north', node_id: 'pi-test', error: null });
    expect(s.busStatus).toContain('north:online');
    const jpeg = s.link.lastValues.get('camera/north/snapshot') as Buffer;
    expect(jpeg[0]).toBe(0xff);
    expect(jpeg[1]).toBe(0xd8);
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 320, 180]);
    await until(() => existsSync(join(s.stateDir, 'snapshots')) && readdirSync(join(s.stateDir, 'snapshots')).length === 1, 5_000, 'the snapshot on disk');
    // Rate limit: one snapshot per 60 s.
    expect(s.role.metrics().detect_snapshots).toBe(1);
    const snap = s.role.snapshot();
    expect(snap.worker).toBe('running');
    expect(snap.model).toMatchObject({ name: 'yolov8-const', layout: 'yolov8', labels: ['fire', 'smoke'], hash: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(snap.cameras.north).toMatchObject({ status: 'online', url: 'lavfi:testsrc=size=320x180:rate=5' });
    expect(msgs[0].model?.hash).toBe(snap.model?.hash);
  });

  it('publishes empty heartbeats at most every publishEmptyEverySeconds (image folder, no ffmpeg)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-imgs-'));
    await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).jpeg().toFile(join(dir, 'a.jpg'));
    const s = setup([{ id: 'yard', url: `dir://${dir}`, fps: 10, loop: true, width: 64, height: 48 }], {
      model: join(FIX, 'end2end-const.onnx'),
      threshold: 0.95, // above every row of the fixture: no detections
      publishEmptyEverySeconds: 1,
    });
    expect((await s.role.start()).ok).toBe(true);
    await until(() => (s.role!.metrics().detect_frames_processed as number) >= 25, 30_000, '25 processed frames');
    const msgs = detections(s.link, 'yard').map((p) => p.payload as DetectionMessage);
    const frames = s.role.metrics().detect_frames_processed as number;
    expect(msgs.length).toBeGreaterThanOrEqual(1);
    expect(msgs.length).toBeLessThan(frames / 4);
    for (const m of msgs) expect(m.detections).toEqual([]);
    for (let i = 1; i < msgs.length; i++) expect(msgs[i].ts! - msgs[i - 1].ts!).toBeGreaterThanOrEqual(0.99);
  });

  it('refuses a bad model with a clear reason and marks cameras error', async () => {
    const s = setup([{ id: 'east', url: 'lavfi:testsrc=size=320x180:rate=5', width: 320, height: 180 }], { model: join(FIX, 'bad-input.onnx') });
    const r = await s.role.start();
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toMatch(/bad-input\.onnx refused: input images is float32 \[1, 1, 320, 320\]/);
    expect(s.link.lastValues.get('camera/east/status')).toMatchObject({ status: 'error', error: expect.stringMatching(/^detector not running: .*expected one float32 input/) });
    const missing = setup([{ id: 'west', url: 'lavfi:testsrc', width: 320, height: 180 }], { model: join(FIX, 'missing.onnx') });
    const r2 = await missing.role.start();
    expect(r2.ok ? '' : r2.reason).toMatch(/model file not found/);
  });
});

describe('camera role: a camera named by its ONVIF identity (issue 16)', () => {
  it('waits without a source until discovery gives it a URL, follows a new URL under the same id, and shows the discovery note while offline', async () => {
    const s = setup(
      [
        { id: 'fixed', url: 'lavfi:testsrc=size=160x90:rate=10', fps: 10, width: 160, height: 90 },
        { id: 'yard', onvif: { serial: 'SN1' }, fps: 10, width: 160, height: 90 },
      ],
      { model: join(FIX, 'yolov8-const.onnx'), threshold: 0.5, snapshot: { enabled: false } },
    );
    expect(s.role.snapshot().cameras.yard).toMatchObject({ status: 'offline', error: 'waiting for discovery to find onvif serial SN1', url: '' });
    expect((await s.role.start()).ok).toBe(true);
    await until(() => detections(s.link, 'fixed').length >= 2, 30_000, 'detections of the fixed camera');
    // No source, no status refresh, no frames for the camera nobody has found yet.
    expect(detections(s.link, 'yard')).toHaveLength(0);
    s.role.setCameraNote('yard', 'onvif serial SN1 not found by discovery');
    expect(s.link.lastValues.get('camera/yard/status')).toMatchObject({ status: 'offline', error: 'onvif serial SN1 not found by discovery' });
    s.role.setCameraUrl('yard', 'lavfi:testsrc=size=160x90:rate=10');
    s.role.setCameraNote('yard', null);
    await until(() => detections(s.link, 'yard').length >= 2, 30_000, 'detections once the URL is known');
    expect(s.role.snapshot().cameras.yard).toMatchObject({ status: 'online', url: 'lavfi:testsrc=size=160x90:rate=10' });
    // A second URL (the camera moved): the old source stops, the new one delivers under the same id.
    s.role.setCameraUrl('yard', 'lavfi:testsrc2=size=160x90:rate=10');
    const before = detections(s.link, 'yard').length;
    await until(() => detections(s.link, 'yard').length >= before + 2 && s.role.snapshot().cameras.yard.status === 'online', 30_000, 'detections from the new URL');
    expect(s.role.snapshot().cameras.yard.url).toBe('lavfi:testsrc2=size=160x90:rate=10');
    expect(s.logger.lines.filter((l) => l.msg === 'camera status' && l.camera === 'yard').map((l) => l.reason)).toContain('stop requested');
    // Unknown ids are ignored.
    s.role.setCameraUrl('nobody', 'lavfi:testsrc');
    expect(Object.keys(s.role.snapshot().cameras).sort()).toEqual(['fixed', 'yard']);
  }, 60_000);
});
