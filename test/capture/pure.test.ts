import { describe, expect, it } from 'vitest';
import { ffmpegCommand } from '../../src/capture/ffmpeg-args.js';
import { FrameAssembler } from '../../src/capture/frame-assembler.js';
import { FrameSlot } from '../../src/capture/frame-slot.js';
import { restartBackoff } from '../../src/capture/restart-backoff.js';
import type { SourceSpec } from '../../src/capture/source.js';
import { seededRandom } from '../../src/core/random.js';

const spec = (url: string, extra: Partial<SourceSpec> = {}): SourceSpec => ({ url, width: 640, height: 360, fps: 2, loop: false, rtspTransport: 'tcp', timeoutSeconds: 10, ...extra });
const after = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('ffmpeg command lines', () => {
  it('rtsp: transport per camera, socket timeout in µs, discard corrupt, key frames only at ≤ 1 fps', () => {
    const a = ffmpegCommand(spec('rtsp://u:p@cam/stream')).args;
    expect([after(a, '-rtsp_transport'), after(a, '-timeout'), after(a, '-fflags'), after(a, '-i')]).toEqual(['tcp', '10000000', '+discardcorrupt', 'rtsp://u:p@cam/stream']);
    expect(a).not.toContain('-skip_frame');
    const b = ffmpegCommand(spec('rtsp://cam/s', { rtspTransport: 'udp', fps: 1 })).args;
    expect([after(b, '-rtsp_transport'), after(b, '-skip_frame')]).toEqual(['udp', 'nokey']);
  });

  it('every form ends in fps + scale filters and raw rgb24 on stdout', () => {
    for (const url of ['rtsp://c/s', 'http://c/mjpg', '/v/clip.mp4', 'file:///v/clip.mp4', 'v4l2:///dev/video0', 'lavfi:testsrc']) {
      const a = ffmpegCommand(spec(url, { fps: 5, width: 320, height: 180 })).args;
      expect(a.slice(-7)).toEqual(['-vf', 'fps=5,scale=320:180:flags=bilinear', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1']);
    }
  });

  it('files read in real time, loop on request; v4l2 and rpicam inputs', () => {
    const f = ffmpegCommand(spec('file:///v/clip.mp4', { loop: true })).args;
    expect([f.includes('-re'), after(f, '-stream_loop'), after(f, '-i')]).toEqual([true, '-1', '/v/clip.mp4']);
    expect(ffmpegCommand(spec('/v/clip.mp4')).args).not.toContain('-stream_loop');
    const v = ffmpegCommand(spec('v4l2:///dev/video2')).args;
    expect([after(v, '-f'), after(v, '-i')]).toEqual(['v4l2', '/dev/video2']);
    const r = ffmpegCommand(spec('rpicam:'));
    expect(r.feeder?.cmd).toBe('rpicam-vid');
    expect(after(r.args, '-i')).toBe('pipe:0');
    expect(() => ffmpegCommand(spec('dir:///x'))).toThrow(/does not serve dir/);
  });
});

describe('FrameAssembler', () => {
  it('cuts any chunking of the byte stream into whole frames and keeps a partial tail', () => {
    const frameBytes = 12;
    const stream = Uint8Array.from({ length: 12 * 5 + 7 }, (_, i) => i & 0xff);
    for (const chunk of [1, 5, 12, 13, 40, 100]) {
      const frames: number[][] = [];
      const asm = new FrameAssembler(frameBytes, (f) => frames.push(Array.from(f)));
      for (let o = 0; o < stream.length; o += chunk) asm.push(stream.subarray(o, o + chunk));
      expect(frames).toEqual([0, 1, 2, 3, 4].map((k) => Array.from(stream.subarray(k * 12, k * 12 + 12))));
      expect(asm.partial).toBe(7);
    }
  });
});

describe('FrameSlot', () => {
  it('latest wins, drops counted, taken frame stable while the producer writes', () => {
    const slot = new FrameSlot(3);
    expect(slot.take()).toBeNull();
    slot.write(Uint8Array.of(1, 1, 1), 10);
    slot.write(Uint8Array.of(2, 2, 2), 20);
    const t = slot.take()!;
    expect([Array.from(t.data), t.seq, t.capturedAt, slot.dropped]).toEqual([[2, 2, 2], 2, 20, 1]);
    slot.write(Uint8Array.of(3, 3, 3), 30);
    expect(Array.from(t.data)).toEqual([2, 2, 2]);
    expect(slot.take()!.seq).toBe(3);
    expect(() => slot.write(new Uint8Array(4), 0)).toThrow(RangeError);
  });
});

describe('restart backoff', () => {
  it('doubles from min to max with the delay in [ceiling/2, ceiling]; reset starts over', () => {
    const b = restartBackoff(2000, 60_000, seededRandom(9));
    const ceilings = [2000, 4000, 8000, 16000, 32000, 60000, 60000];
    for (const c of ceilings) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(c / 2);
      expect(d).toBeLessThanOrEqual(c);
    }
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(2000);
  });
});
