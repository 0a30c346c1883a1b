import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { brokerPid, FreezableProxy, makeCore, Observer, waitFor, type Got } from './helpers.js';

// No broker persistence: the observer re-subscribes after each restart, and the core reaches the
// broker through a gate that opens only once the observer is back. While publishing at a steady
// rate, the gate also cuts the core's link the instant before the broker is signalled: a message
// the broker PUBACKs while shutting down or crashing, after the (clean-session) observer is gone,
// is lost inside the broker and beyond any client. The core still sees the link drop, the broker
// down (refused attempts), and the broker back; the LV test lets the broker close the link itself.
const broker = new TestMosquitto({ persistence: false });
const gate = new FreezableProxy();
beforeAll(async () => {
  await broker.start();
  await gate.start(broker.port);
});
afterAll(async () => {
  await gate.stop();
  await broker.stop();
});

/** Take the broker down with `sig` while the core keeps publishing, bring it back, let the core in. */
async function outage(sig: NodeJS.Signals, downMs: number, core: { connectionState(): string }, obs: Observer, cut = true): Promise<void> {
  gate.open = false;
  if (cut) gate.cut();
  else if (sig === 'SIGKILL') {
    // A hung broker that then crashes; the pause lets bytes it already wrote reach the observer.
    process.kill(brokerPid(broker), 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 100));
  }
  await broker.stop(sig);
  await new Promise((r) => setTimeout(r, downMs)); // publishing continues while the broker is down
  await broker.start();
  await waitFor(() => obs.subscribed, 10_000, 'observer back');
  gate.open = true;
  await waitFor(() => core.connectionState() === 'CONNECTED', 10_000, 'core reconnected');
}

/** Every `seq` 0..n-1 present; first occurrences in increasing order; duplicates only with the same id. */
function checkStream(msgs: Got[], n: number): { dups: number } {
  const firstById = new Map<string, number>();
  const order: number[] = [];
  let dups = 0;
  for (const m of msgs) {
    const id = m.json!.id as string;
    const seq = m.json!.seq as number;
    if (firstById.has(id)) {
      expect(firstById.get(id)).toBe(seq); // a duplicate is the same message, removable by id
      dups++;
      continue;
    }
    firstById.set(id, seq);
    order.push(seq);
  }
  expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
  return { dups };
}

describe('broker restarts while publishing QoS 1 at a steady rate', () => {
  it('6 cycles (SIGTERM and SIGKILL): everything arrives, in order, duplicates removable by id; disconnect events arrive after reconnecting with their original time', async () => {
    const obs = await Observer.start(broker.url, ['test/#', 'system/#'], { clientId: 'obs-restart', clean: true });
    const core = makeCore({ url: `mqtt://127.0.0.1:${gate.port}`, nodeId: 'pub-1' });
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    let seq = 0;
    const t00 = Date.now();
    const pubAt: number[] = [];
    const timeline: string[] = [];
    core.onConnectionState((f, t, r) => timeline.push(`${Date.now() - t00} ${f}->${t} ${r}`));
    const timer = setInterval(() => {
      pubAt.push(Date.now() - t00);
      core.publish('test/stream', { seq: seq++ }, { qos: 1 });
    }, 4);
    const downAt: number[] = [];
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGTERM', 'SIGKILL'];
    for (const sig of signals) {
      await new Promise((r) => setTimeout(r, 150));
      downAt.push(Date.now());
      timeline.push(`${Date.now() - t00} stop ${sig}`);
      await outage(sig, 150, core, obs);
    }
    await new Promise((r) => setTimeout(r, 100));
    clearInterval(timer);
    const n = seq;
    await waitFor(() => new Set(obs.on('test/stream').map((g) => g.json!.id)).size >= n, 15_000, 'all messages at the observer').catch((e) => {
      const have = new Set(obs.on('test/stream').map((g) => g.json!.seq as number));
      const miss = Array.from({ length: n }, (_, i) => i).filter((i) => !have.has(i));
      console.log('missing', miss, miss.map((i) => pubAt[i]), timeline, obs.got.filter((g) => g.topic === 'test/stream').map((g) => g.json!.seq).join(','));
      throw e;
    });
    const { dups } = checkStream(obs.on('test/stream'), n);

    const events = obs.on('system/pub-1/connection').map((g) => g.json!);
    const uniq = [...new Map(events.map((e) => [e.id as string, e])).values()];
    const disc = uniq.filter((e) => e.event === 'disconnected');
    expect(disc).toHaveLength(signals.length);
    const conn = uniq.filter((e) => e.event === 'connected');
    expect(conn).toHaveLength(signals.length + 1);
    for (let i = 0; i < disc.length; i++) {
      // Original timestamp: when the link dropped (broker stop), before the reconnect event.
      expect((disc[i].ts as number) * 1000).toBeGreaterThanOrEqual(downAt[i] - 5);
      expect(disc[i].ts as number).toBeLessThanOrEqual(conn[i + 1].ts as number);
      expect(disc[i].previous_state_ms as number).toBeGreaterThan(0);
    }
    await waitFor(() => core.metrics().outbox_depth === 0); // the last PUBACKs may trail the deliveries
    const m = core.metrics();
    expect(m.connects_total).toBe(signals.length + 1);
    expect(m.disconnects_total).toBe(signals.length);
    await core.close();
    await obs.stop();
    console.log(`restart cycles: ${signals.length}, messages: ${n}, duplicates: ${dups}`);
  });

  it('messages queued during an outage are replayed in order BEFORE last values are republished', async () => {
    const obs = await Observer.start(broker.url, ['lv/#'], { clientId: 'obs-lv', clean: true });
    const core = makeCore({ url: `mqtt://127.0.0.1:${gate.port}`, nodeId: 'pub-2' });
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    core.setLastValue('lv/state', { state: 'idle' });
    await waitFor(() => obs.on('lv/state').length === 1);
    // (the first value may itself have gone out as a "republish" if the connected event was still in flight)
    const republishedBefore = core.metrics().last_values_republished_total as number;
    const down = outage('SIGTERM', 300, core, obs, false);
    await waitFor(() => core.connectionState() !== 'CONNECTED');
    for (let i = 0; i < 50; i++) core.publish('lv/queued', { seq: i }, { qos: 1 });
    core.setLastValue('lv/state', { state: 'watching' });
    core.setLastValue('lv/state', { state: 'triggered' }); // only the current value goes out
    await down;
    // Only live deliveries count (retain=false); a resubscribe may also replay the stored retained value.
    const live = () => obs.got.filter((g) => !g.retain);
    await waitFor(() => live().some((g) => g.topic === 'lv/state' && g.json!.state !== 'idle') && core.metrics().outbox_depth === 0, 10_000);
    const first = live().find((g) => g.topic === 'lv/state')!;
    const tail = live().slice(live().indexOf(first) + 1);
    const lastQueued = tail.map((g) => g.topic).lastIndexOf('lv/queued');
    const stateIdx = tail.findIndex((g) => g.topic === 'lv/state' && g.json!.state !== 'idle');
    expect(stateIdx).toBeGreaterThan(lastQueued);
    // Only the current value is republished (a broker-side redelivery of the old 'idle' may appear).
    expect(tail.filter((g) => g.topic === 'lv/state' && g.json!.state !== 'idle').map((g) => g.json!.state)).toEqual(['triggered']);
    checkStream(obs.on('lv/queued'), 50);
    expect(core.metrics().last_values_republished_total).toBe(republishedBefore + 1);
    await core.close();
    await obs.stop();
  });
});
