// Peak-RSS probe for bench/detect.ts: plain Node (no tsx) running the BUNDLED detector worker, as a
// deployed node does. Args: <worker.mjs> <model> <cameras> <fps> <seconds>. Prints one JSON line.
import { Worker } from 'node:worker_threads';

const [script, model, n, fps, secs] = process.argv.slice(2);
const cameras = Array.from({ length: Number(n) }, (_, i) => ({ id: `cam${i}`, url: 'lavfi:testsrc2=size=640x360:rate=30', fps: Number(fps), width: 640, height: 360 }));
// Same resource limits as src/detect/worker-host.ts.
const w = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 4 }, workerData: { cameras, detect: { model, snapshot: { enabled: false } }, stateDir: '/tmp/wfe-rss-probe' } });
let frames = 0;
let peak = 0;
w.on('message', (m) => {
  if (m.type === 'detections') frames++;
  if (m.type === 'fatal') {
    console.error(m.reason);
    process.exit(1);
  }
});
const iv = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
setTimeout(() => {
  clearInterval(iv);
  console.log(JSON.stringify({ frames, rssPeakMB: Math.max(peak, 0) / 1048576, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  w.postMessage({ type: 'stop' });
  setTimeout(() => process.exit(0), 3000).unref();
}, Number(secs) * 1000);
