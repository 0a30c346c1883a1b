/**
 * Child-process probe for the allocation test (run with `node --expose-gc --import tsx`): drives
 * the hot path — ffmpeg-like chunks → FrameAssembler → FrameSlot → detector.detect — for many
 * frames with a fixed input and prints heap figures after forced GCs as one JSON line.
 */
import { FrameAssembler } from '../../src/capture/frame-assembler.js';
import { FrameSlot } from '../../src/capture/frame-slot.js';
import { createDetector } from '../../src/detect/detector.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const [model = 'test/fixtures/models/yolov8-const.onnx', framesArg = '3000'] = process.argv.slice(2);
const FRAMES = Number(framesArg);
const W = 320;
const H = 180;
const r = await createDetector({ modelPath: model, threshold: 0.5, threads: 1 });
if (!r.ok) throw new Error(r.reason);
const det = r.value;
const slot = new FrameSlot(W * H * 3);
const asm = new FrameAssembler(W * H * 3, (f) => slot.write(f, 0));
// A fixed frame as the pipe would hand it over: 64 KiB chunks.
const stream = new Uint8Array(W * H * 3);
for (let i = 0; i < stream.length; i++) stream[i] = (i * 31) & 0xff;
const chunks: Uint8Array[] = [];
for (let o = 0; o < stream.length; o += 65536) chunks.push(stream.subarray(o, Math.min(stream.length, o + 65536)));
let detections = 0;
const step = async () => {
  for (const c of chunks) asm.push(c);
  const f = slot.take()!;
  detections += (await det.detect(f.data, W, H)).length;
};
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((res) => setTimeout(res, 10));
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
};
for (let i = 0; i < 300; i++) await step();
const a = await settle();
for (let i = 0; i < FRAMES; i++) await step();
const b = await settle();
for (let i = 0; i < FRAMES; i++) await step();
const c = await settle();
await det.close();
console.log(JSON.stringify({ frames: FRAMES, detections, a, b, c }));
