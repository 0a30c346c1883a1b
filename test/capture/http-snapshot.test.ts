/**
 * HTTP cameras against a real local HTTP server. Snapshot URLs: Basic auth from the URL's
 * credentials, frames at the camera size, a failing server gives a clear status error, then
 * recovery once it answers again. MJPEG streams: decoded by ffmpeg at the camera size.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraSupervisor } from '../../src/capture/camera-supervisor.js';
import { cameraConfigSchema } from '../../src/capture/config.js';
import { splitCredentials } from '../../src/capture/http-snapshot-source.js';
import { defaultSourceFactory } from '../../src/capture/sources.js';
import { systemClock } from '../../src/core/clock.js';
import { seededRandom } from '../../src/core/random.js';

let server: Server;
let port = 0;
let failing = false;
const auths: Array<string | undefined> = [];
let jpeg: Buffer;
// A live camera's pictures differ from one to the next (sensor noise); byte-identical pictures
// mean a frozen camera and are not handed on (issue 12 item 4), so the server cycles three.
let jpegs: Buffer[] = [];
let served = 0;
const nextJpeg = (): Buffer => jpegs[served++ % jpegs.length];

beforeAll(async () => {
  jpegs = await Promise.all([118, 120, 122].map((g) => sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 250, g, b: 0 } } }).jpeg().toBuffer()));
  jpeg = jpegs[1];
  server = createServer((req, res) => {
    auths.push(req.headers.authorization);
    if (failing) {
      res.writeHead(503).end();
      return;
    }
    if (req.url === '/huge.jpg') {
      // No content-length and far more than any snapshot: must be cut off, never buffered whole.
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(1 << 20, 0xab);
      let left = 64;
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === '/hang.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(jpeg.subarray(0, 100)); // then nothing: a wedged camera
      return;
    }
    if (req.url === '/stream.mjpg') {
      // An MJPEG stream as IP cameras serve it: multipart/x-mixed-replace, one JPEG per part.
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      const iv = setInterval(() => {
        const j = nextJpeg();
        res.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`);
        res.write(j);
        res.write('\r\n');
      }, 100);
      req.on('close', () => clearInterval(iv));
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(nextJpeg());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const until = async (cond: () => boolean, ms: number, what: string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('HTTP snapshot camera', () => {
  it('splits credentials into a Basic header', () => {
    expect(splitCredentials('http://ad%40min:p%3Ass@cam:8080/snap.jpg')).toEqual({ url: 'http://cam:8080/snap.jpg', headers: { authorization: `Basic ${Buffer.from('ad@min:p:ss').toString('base64')}` } });
    expect(splitCredentials('http://cam/snap.jpg').headers).toEqual({});
  });

  it('polls at fps with auth, scales frames, reports a failing server and recovers', async () => {
    const camera = cameraConfigSchema.parse({ id: 'gate', url: `http://admin:s3cret@127.0.0.1:${port}/snap.jpg`, httpMode: 'snapshot', fps: 10, width: 160, height: 90, restartMinSeconds: 0.1, restartMaxSeconds: 0.2 });
    const sup = new CameraSupervisor({ camera, clock: systemClock, random: seededRandom(1), factory: defaultSourceFactory() });
    sup.start();
    await until(() => sup.status().frames >= 3, 10_000, 'snapshot frames');
    expect(auths[0]).toBe(`Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
    const f = sup.slot.take()!;
    expect(f.data.length).toBe(160 * 90 * 3);
    const mid = (45 * 160 + 80) * 3;
    expect(Math.abs(f.data[mid] - 250) + Math.abs(f.data[mid + 1] - 120) + f.data[mid + 2]).toBeLessThan(20);

    failing = true;
    await until(() => sup.status().status === 'error', 10_000, 'status error');
    expect(sup.status().error).toBe('snapshot request failed: HTTP 503 Service Unavailable');
    failing = false;
    await until(() => sup.status().status === 'online', 10_000, 'recovery');
    await sup.stop();
  });

  it('a body past the size cap or a response that stops midway is an error with the reason, not unbounded memory', async () => {
    const make = (path: string, timeoutSeconds: number) =>
      new CameraSupervisor({
        camera: cameraConfigSchema.parse({ id: 'big', url: `http://127.0.0.1:${port}${path}`, httpMode: 'snapshot', fps: 1, width: 160, height: 90, timeoutSeconds, restartMinSeconds: 30, restartMaxSeconds: 60 }),
        clock: systemClock,
        random: seededRandom(1),
        factory: defaultSourceFactory(),
      });
    // A generous timeout here: on a loaded machine reading 32 MiB can take a while, and it is the
    // size cap, not the timer, that must end this one.
    const huge = make('/huge.jpg', 30);
    huge.start();
    await until(() => huge.status().status === 'error', 10_000, 'the size cap');
    expect(huge.status().error).toMatch(/^snapshot request failed: body larger than 33554432 bytes/);
    await huge.stop();
    const hang = make('/hang.jpg', 1);
    hang.start();
    await until(() => hang.status().status === 'error', 10_000, 'the timeout');
    expect(hang.status().error).toBe('snapshot request failed: no complete snapshot within 1 s');
    await hang.stop();
  });

  it('an MJPEG stream (httpMode: stream) goes through ffmpeg at the camera size', async () => {
    const camera = cameraConfigSchema.parse({ id: 'mj', url: `http://127.0.0.1:${port}/stream.mjpg`, fps: 5, width: 160, height: 90 });
    const sup = new CameraSupervisor({ camera, clock: systemClock, random: seededRandom(1), factory: defaultSourceFactory({ killGraceMs: 500 }) });
    sup.start();
    await until(() => sup.status().frames >= 3, 20_000, 'MJPEG frames');
    const f = sup.slot.take()!;
    expect(f.data.length).toBe(160 * 90 * 3);
    const mid = (45 * 160 + 80) * 3;
    expect(Math.abs(f.data[mid] - 250) + Math.abs(f.data[mid + 1] - 120) + f.data[mid + 2]).toBeLessThan(30);
    await sup.stop();
  });
});
