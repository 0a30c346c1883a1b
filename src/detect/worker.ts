/**
 * Entry of the detector worker thread (bundled as dist/detect-worker.mjs). Parses its start data,
 * runs {@link startRuntime} and relays messages; everything else lives in worker-runtime.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startRuntime } from './worker-runtime.js';
import { toWorkerSchema, workerInitSchema, type FromWorker } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('detect worker must run in a worker thread');
const post = (m: FromWorker) => port.postMessage(m);

const init = workerInitSchema.safeParse(workerData);
if (!init.success) {
  post({ type: 'fatal', reason: `bad worker start data: ${init.error.message}` });
  port.close();
} else {
  const rt = await startRuntime({ ...init.data, post });
  if (!rt) {
    port.close();
  } else {
    port.on('message', (raw: unknown) => {
      const msg = toWorkerSchema.safeParse(raw);
      if (!msg.success) {
        post({ type: 'log', level: 'warn', msg: 'worker ignored a malformed message', fields: { error: msg.error.message } });
        return;
      }
      if (msg.data.type === 'camera.url') rt.setCameraUrl(msg.data.camera, msg.data.url);
      if (msg.data.type === 'stop') {
        void rt.stop().then(() => {
          post({ type: 'stopped' });
          port.close();
        });
      }
    });
  }
}
