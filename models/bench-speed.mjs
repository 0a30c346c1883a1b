// Model-only latency of ONNX detectors with onnxruntime-node on ONE intra-op thread
// (the figure the model cards quote). Several models are measured in one run, interleaved in
// rounds, so that a busy shared machine slows them alike (issue 13: the v2 model beside the lite one).
// Usage: node models/bench-speed.mjs [model.onnx ...] [runs]
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const runs = args.length && /^\d+$/.test(args[args.length - 1]) ? Number(args.pop()) : 300;
const files = args.length ? args : [new URL('./wfe-firesmoke-320.onnx', import.meta.url).pathname];
const models = [];
for (const file of files) {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  // the input size from the graph (a symbolic dim falls back to 320)
  const shape = session.inputMetadata?.[0]?.shape ?? [];
  const size = typeof shape[2] === 'number' ? shape[2] : 320;
  const input = new ort.Tensor('float32', new Float32Array(3 * size * size).fill(0.45), [1, 3, size, size]);
  const feeds = { [session.inputNames[0]]: input };
  for (let i = 0; i < 20; i++) await session.run(feeds); // warm-up
  models.push({ file, session, feeds, size, times: [] });
}
const rounds = 10;
for (let r = 0; r < rounds; r++) {
  for (const m of models) {
    for (let i = 0; i < Math.ceil(runs / rounds); i++) {
      const t = process.hrtime.bigint();
      await m.session.run(m.feeds);
      m.times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
}
for (const m of models) {
  const times = m.times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  const out = await m.session.run(m.feeds);
  const o = out[m.session.outputNames[0]];
  console.log(`model ${m.file}  input [1, 3, ${m.size}, ${m.size}]  output [${o.dims.join(', ')}]`);
  console.log(`single thread over ${times.length} runs: min ${q(0).toFixed(2)} ms  p50 ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms`);
  console.log(JSON.stringify({ model: m.file, threads: 1, runs: times.length, minMs: q(0), p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99) }));
  await m.session.release();
}
