// Model-only latency of an ONNX detector with onnxruntime-node on ONE intra-op thread
// (the figure the model card quotes). Usage: node models/bench-speed.mjs [model.onnx] [runs]
import * as ort from 'onnxruntime-node';

const file = process.argv[2] ?? new URL('./wfe-firesmoke-320.onnx', import.meta.url).pathname;
const runs = Number(process.argv[3] ?? 300);
const session = await ort.InferenceSession.create(file, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const meta = session.inputMetadata?.[0];
const size = 320;
const input = new ort.Tensor('float32', new Float32Array(3 * size * size).fill(0.45), [1, 3, size, size]);
const feeds = { [session.inputNames[0]]: input };
for (let i = 0; i < 20; i++) await session.run(feeds); // warm-up
const times = [];
for (let i = 0; i < runs; i++) {
  const t = process.hrtime.bigint();
  await session.run(feeds);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
const out = await session.run(feeds);
const o = out[session.outputNames[0]];
console.log(`model ${file}  input ${JSON.stringify(meta?.shape ?? [1, 3, size, size])}  output [${o.dims.join(', ')}]`);
console.log(`single thread over ${runs} runs: min ${q(0).toFixed(2)} ms  p50 ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms`);
console.log(JSON.stringify({ model: file, threads: 1, runs, minMs: q(0), p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99) }));
await session.release();
