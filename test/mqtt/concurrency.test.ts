import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TestMosquitto } from '../helpers/mosquitto.js';
import { attachWorkerPublisher } from '../../src/mqtt/worker-publisher.js';
import { FreezableProxy, makeCore, Observer, tempDir, waitFor, type Got } from './helpers.js';

// As in broker-restart.test.ts: no broker persistence; the core's link is cut before the broker is
// signalled and it gets back in only after the observer.
const broker = new TestMosquitto({ persistence: false });
beforeAll(() => broker.start());
afterAll(() => broker.stop());

/** Unique messages in first-arrival order (duplicates removed by id). */
const firsts = (got: Got[]) => [...new Map(got.map((g) => [g.json!.id as string, g.json!.seq as number])).values()];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('concurrency: main thread and a worker thread publishing while the link flaps', () => {
  it('nothing lost, per-publisher order kept, across broker restarts and a half-open link', async () => {
    const proxy = new FreezableProxy();
    await proxy.start(broker.port);
    const obs = await Observer.start(broker.url, ['test/main', 'test/worker'], { clientId: 'obs-conc', clean: true });
    const core = makeCore({ url: `mqtt://127.0.0.1:${proxy.port}`, nodeId: 'conc', config: { keepaliveSeconds: 1 } });
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    const worker = new Worker(new URL('./fixtures/ts-worker-bootstrap.mjs', import.meta.url), { workerData: { entry: './worker-publisher-thread.ts', intervalMs: 3 } });
    worker.on('error', (err) => console.error('worker error', err));
    const att = attachWorkerPublisher(worker, core);
    await new Promise<void>((resolve) => worker.on('message', (m) => m?.type === 'started' && resolve()));
    let seq = 0;
    const timer = setInterval(() => core.publish('test/main', { seq: seq++ }, { qos: 1 }), 3);

    // 1) a half-open link: the proxy silently stops forwarding; keepalive must notice.
    await new Promise((r) => setTimeout(r, 200));
    // Counted from the transitions, not by polling the state: detection and the reconnect can
    // both happen between two polls (backoff with full jitter may be ~0 ms on a local proxy).
    let drops = 0;
    core.onConnectionState((from) => {
      if (from === 'CONNECTED') drops++;
    });
    proxy.freeze();
    await waitFor(() => drops >= 1, 10_000, 'half-open link detected');
    await waitFor(() => core.connectionState() === 'CONNECTED', 10_000, 'reconnected after half-open');
    // 2) broker restarts (obs reconnects with its persistent session)
    for (const sig of ['SIGKILL', 'SIGTERM'] as const) {
      await new Promise((r) => setTimeout(r, 150));
      // Cut the core's link, then signal the broker (why: see broker-restart.test.ts).
      proxy.open = false;
      proxy.cut();
      await broker.stop(sig);
      await new Promise((r) => setTimeout(r, 100));
      await broker.start();
      await waitFor(() => obs.subscribed, 10_000, 'observer back');
      proxy.open = true;
      await waitFor(() => core.connectionState() === 'CONNECTED', 10_000, 'reconnected after restart');
    }
    await new Promise((r) => setTimeout(r, 150));
    clearInterval(timer);
    const stopped = new Promise<number>((resolve) => worker.on('message', (m) => m?.type === 'stopped' && resolve(m.sent)));
    worker.postMessage({ type: 'stop' });
    const workerSent = await stopped;
    const mainSent = seq;
    await waitFor(() => firsts(obs.on('test/main')).length >= mainSent && firsts(obs.on('test/worker')).length >= workerSent, 15_000, 'all messages').catch((e) => {
      for (const [t, n] of [['test/main', mainSent], ['test/worker', workerSent]] as const) {
        const have = new Set(firsts(obs.on(t)));
        console.log(t, n, 'missing', range(n).filter((i) => !have.has(i)).join(','));
      }
      console.log(JSON.stringify(core.metrics()));
      throw e;
    });
    expect(firsts(obs.on('test/main'))).toEqual(range(mainSent));
    expect(firsts(obs.on('test/worker'))).toEqual(range(workerSent));
    expect(workerSent).toBeGreaterThan(50);
    expect(att.rejected()).toBe(0);
    expect(core.metrics().connects_total).toBe(4);
    att.detach();
    await worker.terminate();
    await core.close();
    await obs.stop();
    await proxy.stop();
  });

  it('close() racing reconnects ends cleanly (DISCONNECTED, no further attempts) and keeps queued messages on disk', async () => {
    const deadPort = await freePort();
    const stateDir = tempDir();
    for (let round = 0; round < 8; round++) {
      const core = makeCore({ url: `mqtt://127.0.0.1:${deadPort}`, nodeId: 'racer', stateDir, config: { backoff: { baseMs: 1, capMs: 5 } } });
      await core.start();
      core.publish('test/race', { seq: round }, { qos: 1 });
      await new Promise((r) => setTimeout(r, round * 3)); // close at a different point of the reconnect cycle each round
      const t0 = Date.now();
      await Promise.all([core.close(), core.close()]);
      expect(Date.now() - t0).toBeLessThan(2500);
      expect(core.connectionState()).toBe('DISCONNECTED');
      const failures = JSON.stringify(core.metrics().connect_failures_total);
      await new Promise((r) => setTimeout(r, 50));
      expect(JSON.stringify(core.metrics().connect_failures_total)).toBe(failures); // nothing runs after close
      core.publish('test/race', { seq: 100 + round }, { qos: 1 }); // after close: dropped and counted, no throw
      expect(core.metrics().dropped_after_close_total).toBe(1);
    }
    // Everything published before each close is still queued on disk and delivered in order.
    const obs = await Observer.start(broker.url, ['test/race']);
    const core = makeCore({ url: broker.url, nodeId: 'racer', stateDir });
    await core.start();
    await waitFor(() => obs.got.length >= 8);
    expect(obs.got.map((g) => g.json!.seq)).toEqual(range(8));
    await core.close();
    await obs.stop();
  });
});
