import { describe, expect, it } from 'vitest';
import { CameraSupervisor, type SupervisorState } from '../../src/capture/camera-supervisor.js';
import { cameraConfigSchema, type CameraConfigInput } from '../../src/capture/config.js';
import type { SourceFactory, SourceHandlers } from '../../src/capture/source.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { seededRandom } from '../../src/core/random.js';

/** A frame whose bytes differ in every row when `n` differs (a real sensor's noise). */
const noisy = (n: number) => {
  const f = new Uint8Array(32 * 32 * 3);
  for (let i = 0; i < f.length; i++) f[i] = (i * 31 + n * 17) & 0xff;
  return f;
};

/** A scripted source: tests push frames and ends through `h`. */
function fakeFactory() {
  const made: Array<{ h: SourceHandlers; stopped: boolean; url: string }> = [];
  const factory: SourceFactory = (spec, h) => {
    const rec = { h, stopped: false, url: spec.url };
    made.push(rec);
    return {
      start() {},
      async stop() {
        rec.stopped = true;
      },
    };
  };
  return { made, factory };
}

function setup(cam: Partial<CameraConfigInput> = {}) {
  const clock = new VirtualClock();
  const { made, factory } = fakeFactory();
  const camera = cameraConfigSchema.parse({ id: 'north', url: 'rtsp://user:secret@10.0.0.9/stream', width: 32, height: 32, ...cam });
  const transitions: Array<[SupervisorState, SupervisorState, string]> = [];
  const sup = new CameraSupervisor({ camera, clock, random: seededRandom(1), factory, onTransition: (f, t, r) => transitions.push([f, t, r]) });
  const frame = new Uint8Array(32 * 32 * 3);
  return { clock, made, sup, transitions, frame };
}

describe('camera supervisor (virtual time)', () => {
  it('goes online on the first frame and counts frames, drops and fps', () => {
    const { clock, made, sup } = setup();
    sup.start();
    expect(sup.status().status).toBe('offline');
    for (let i = 0; i < 5; i++) {
      made[0].h.onFrame(noisy(i));
      clock.advance(500);
    }
    const s = sup.status();
    expect(s).toMatchObject({ status: 'online', frames: 5, dropped: 4, error: null });
    expect(s.fps).toBeCloseTo(2, 5);
    expect(sup.slot.take()?.seq).toBe(5);
  });

  it('restarts a stalled source after stallSeconds with backoff in [min/2, min]; recovers', () => {
    const { clock, made, sup, transitions } = setup({ stallSeconds: 5 });
    sup.start();
    made[0].h.onFrame(noisy(1));
    clock.advance(4_900);
    expect(made).toHaveLength(1);
    clock.advance(200);
    expect(sup.current).toBe('backoff');
    expect(made[0].stopped).toBe(true);
    expect(sup.status()).toMatchObject({ status: 'offline', error: 'no complete frame for 5 s (stalled)' });
    clock.advance(999); // the delay is within [1 s, 2 s]
    expect(made).toHaveLength(1);
    clock.advance(1_001);
    expect(made).toHaveLength(2);
    made[1].h.onFrame(noisy(2));
    expect(sup.status().status).toBe('online');
    expect(transitions.map((t) => t[1])).toEqual(['starting', 'online', 'backoff', 'starting', 'online']);
  });

  it('backoff doubles up to the max; errors show as status error, redacted', () => {
    const { clock, made, sup, transitions } = setup({ restartMinSeconds: 2, restartMaxSeconds: 16 });
    sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      made[made.length - 1].h.onEnd({ kind: 'error', message: 'Connection refused rtsp://user:secret@10.0.0.9/stream' });
      expect(sup.status().status).toBe('error');
      expect(sup.status().error).not.toContain('secret');
      const n = made.length;
      const t0 = clock.now();
      while (made.length === n) clock.advance(10);
      delays.push(clock.now() - t0);
    }
    const ceilings = [2000, 4000, 8000, 16000, 16000, 16000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(ceilings[i] / 2);
      expect(d).toBeLessThanOrEqual(ceilings[i] + 10);
    });
    expect(transitions.some((t) => t[2].includes('secret'))).toBe(false);
  });

  it('gives up loudly after maxRestarts consecutive failures', () => {
    const { clock, made, sup } = setup({ maxRestarts: 2, restartMinSeconds: 1 });
    sup.start();
    for (let i = 0; i < 3; i++) {
      made[made.length - 1].h.onEnd({ kind: 'error', message: 'boom' });
      clock.advance(5_000);
    }
    expect(made).toHaveLength(3);
    expect(sup.current).toBe('failed');
    expect(sup.status()).toMatchObject({ status: 'error', error: 'gave up after 2 restart(s) without a frame: boom' });
    clock.advance(600_000);
    expect(made).toHaveLength(3);
  });

  it('a non-looping file that ends stays ended (offline), a stream that ends is restarted', () => {
    const file = setup({ url: '/videos/clip.mp4' });
    file.sup.start();
    file.made[0].h.onEnd({ kind: 'eof', message: 'stream ended' });
    file.clock.advance(120_000);
    expect(file.sup.current).toBe('ended');
    expect(file.made).toHaveLength(1);
    expect(file.sup.status()).toMatchObject({ status: 'offline', error: 'stream ended' });
    const rtsp = setup();
    rtsp.sup.start();
    rtsp.made[0].h.onEnd({ kind: 'eof', message: 'stream ended' });
    rtsp.clock.advance(3_000);
    expect(rtsp.made).toHaveLength(2);
  });

  it('stop() stops the source and cancels every timer; late callbacks are ignored', async () => {
    const { clock, made, sup, frame } = setup();
    sup.start();
    await sup.stop();
    expect(made[0].stopped).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    made[0].h.onFrame(frame);
    expect(sup.status().frames).toBe(0);
  });
});

describe('camera config', () => {
  it('applies defaults and refuses bad values with clear messages', () => {
    expect(cameraConfigSchema.parse({ id: 'a', url: 'rtsp://x/y' })).toMatchObject({ fps: 2, width: 640, height: 360, loop: false, rtspTransport: 'tcp', stallSeconds: 20, enabled: true });
    const bad = cameraConfigSchema.safeParse({ id: 'a b', url: 'ftp://x', fps: 0, rtspTransport: 'sctp', colour: 1 });
    expect(bad.success).toBe(false);
    const msg = JSON.stringify(bad.error?.issues.map((i) => [i.path.join('.'), i.message]));
    expect(msg).toMatch(/"id","camera ids match/);
    expect(msg).toMatch(/"url","unsupported camera url; use one of rtsp:\/\//);
    expect(msg).toMatch(/"fps"/);
    expect(msg).toMatch(/"rtspTransport"/);
    expect(msg).toMatch(/colour/);
  });

  it('refuses network URLs whose credentials would break at open time, naming the fix', () => {
    const problem = (url: string) => cameraConfigSchema.safeParse({ id: 'a', url }).error?.issues.map((i) => i.message).join('; ');
    expect(problem('http://admin:50%off@10.0.0.9/snap.jpg')).toMatch(/write % as %25/);
    expect(problem('rtsp://admin:p@ssw0rd@10.0.0.9/stream')).toMatch(/raw "@": write it as %40/);
    expect(problem('http://')).toMatch(/not a valid URL/);
    for (const ok of ['rtsp://admin:p%40ss%25w@10.0.0.9:554/s?a=b@c', 'http://10.0.0.9/snap.jpg', 'rtsp://cam.local/stream', 'lavfi:testsrc', '/media/clip.mp4']) {
      expect(problem(ok), ok).toBeUndefined();
    }
  });
});

describe('a source that cannot be created', () => {
  it('is this camera\'s error with backoff, never an exception out of start()', () => {
    const clock = new VirtualClock();
    let calls = 0;
    const factory: SourceFactory = () => {
      calls++;
      throw new URIError('URI malformed');
    };
    const camera = cameraConfigSchema.parse({ id: 'north', url: 'rtsp://10.0.0.9/stream', width: 32, height: 32, restartMinSeconds: 1, restartMaxSeconds: 2 });
    const sup = new CameraSupervisor({ camera, clock, random: seededRandom(1), factory });
    expect(() => sup.start()).not.toThrow();
    expect(sup.status()).toMatchObject({ status: 'error', error: 'cannot open the source: URI malformed' });
    expect(sup.current).toBe('backoff');
    clock.advance(1_000); // first retry within [0.5 s, 1 s]; the next one only after another ≥ 1 s
    expect(calls).toBe(2); // retried after the backoff, failing the same way
    expect(sup.current).toBe('backoff');
  });
});

describe('stale pictures: repeated frames and ffmpeg read timeouts (issue 12 item 4)', () => {
  it('identical frames for stallSeconds mark the camera stale (offline) and restart it; they never reach the slot', () => {
    const { clock, made, sup, transitions } = setup({ stallSeconds: 5 });
    sup.start();
    made[0].h.onFrame(noisy(1));
    const written = sup.slot.written;
    const last = sup.status().last_frame_at;
    // ffmpeg re-emitting its last picture at 2 fps: each repeat used to feed the stall check.
    for (let i = 0; i < 9; i++) {
      clock.advance(500);
      made[0].h.onFrame(noisy(1));
    }
    expect(sup.current).toBe('online'); // 4.5 s identical: not yet
    expect(sup.slot.written).toBe(written); // ...but no repeat was handed on as a new frame
    expect(sup.status().last_frame_at).toBe(last);
    clock.advance(500);
    made[0].h.onFrame(noisy(1));
    expect(transitions.map((t) => t[1])).toEqual(['starting', 'online', 'stale', 'backoff']);
    expect(transitions[2][2]).toMatch(/^stale: identical frames for 5 s/);
    expect(sup.status()).toMatchObject({ status: 'offline', repeated: 10 });
    expect(sup.status().error).toMatch(/^stale: identical frames/);
    expect(made[0].stopped).toBe(true);
    // After the restart the same old picture is still stale (no flapping online); a new one is online.
    clock.advance(2_000);
    expect(made).toHaveLength(2);
    made[1].h.onFrame(noisy(1));
    expect(sup.current).toBe('backoff');
    expect(made[1].stopped).toBe(true);
    while (made.length === 2) clock.advance(100);
    made[2].h.onFrame(noisy(2));
    expect(sup.status().status).toBe('online');
    expect(sup.slot.written).toBe(written + 1);
  });

  it('frames that differ (sensor noise) keep the camera online however long it runs', () => {
    const { clock, made, sup } = setup({ stallSeconds: 5 });
    sup.start();
    for (let i = 0; i < 200; i++) {
      made[0].h.onFrame(noisy(i));
      clock.advance(500);
    }
    expect(sup.current).toBe('online');
    expect(sup.status()).toMatchObject({ frames: 200, repeated: 0 });
  });

  it('staleSeconds is its own threshold, and 0 turns the check off (a truly static picture)', () => {
    const longer = setup({ stallSeconds: 5, staleSeconds: 30 });
    longer.sup.start();
    for (let i = 0; i < 50; i++) {
      longer.made[0].h.onFrame(noisy(1));
      longer.clock.advance(500);
    }
    expect(longer.sup.current).toBe('online'); // 25 s of repeats < 30 s; repeats still count as frames for the stall check
    for (let i = 0; i < 12; i++) {
      longer.made[0].h.onFrame(noisy(1));
      longer.clock.advance(500);
    }
    expect(longer.sup.status().error).toMatch(/^stale: identical frames for 30 s/);

    const off = setup({ stallSeconds: 5, staleSeconds: 0 });
    off.sup.start();
    for (let i = 0; i < 100; i++) {
      off.made[0].h.onFrame(noisy(1));
      off.clock.advance(500);
    }
    expect(off.sup.current).toBe('online');
    expect(off.sup.slot.written).toBe(100);
  });

  it('an image folder or file repeating one picture is not stale by default (a looping demo folder); a camera is', () => {
    for (const url of ['dir:///srv/demo', '/videos/still.mp4', 'lavfi:color=c=gray']) {
      const local = setup({ url, loop: true, stallSeconds: 5 });
      local.sup.start();
      for (let i = 0; i < 40; i++) {
        local.made[0].h.onFrame(noisy(1));
        local.clock.advance(500);
      }
      expect(local.sup.current).toBe('online');
      expect(local.sup.slot.written).toBe(40);
    }
    const cam = setup({ stallSeconds: 5 }); // rtsp://
    cam.sup.start();
    for (let i = 0; i < 12; i++) {
      cam.made[0].h.onFrame(noisy(1));
      cam.clock.advance(500);
    }
    expect(cam.transitions.map((t) => t[1])).toContain('stale');
  });

  it('a source that reports stale input (ffmpeg read timeout) goes offline at once with the reason and is restarted', () => {
    const { clock, made, sup, transitions } = setup({ stallSeconds: 20 });
    sup.start();
    made[0].h.onFrame(noisy(1));
    clock.advance(500);
    made[0].h.onEnd({ kind: 'stale', message: 'stale: ffmpeg reported a read timeout (no new picture from the camera): rtsp://user:secret@10.0.0.9/stream: Connection timed out' });
    expect(sup.status().status).toBe('offline');
    expect(sup.status().error).toMatch(/^stale: ffmpeg reported a read timeout/);
    expect(sup.status().error).not.toContain('secret');
    expect(transitions.map((t) => t[1])).toEqual(['starting', 'online', 'stale', 'backoff']);
    const written = sup.slot.written;
    made[0].h.onFrame(noisy(2)); // a drained old frame after the timeout
    expect(sup.slot.written).toBe(written);
    clock.advance(2_000);
    expect(made).toHaveLength(2);
  });
});
