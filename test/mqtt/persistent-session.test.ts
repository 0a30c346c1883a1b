import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../src/core/result.js';
import type { MqttCore } from '../../src/mqtt/index.js';
import { FreezableProxy, makeCore, persistentBroker, tempDir, waitFor } from './helpers.js';

/**
 * Issue 17: a node whose link is down when a trigger is published must still get it when the link
 * returns. The broker keeps a persistent session (stable client id, MQTT 5 cleanStart false with a
 * session expiry / 3.1.1 clean false) and queues QoS 1 messages for it. The control runs with
 * `mqtt.session.persistent: false` and loses the message, so the test proves the setting matters.
 */
const broker = persistentBroker();
const cleanups: Array<() => Promise<void>> = [];
beforeAll(() => broker.start());
afterAll(() => broker.stop());
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const text = (b: Buffer) => ok(b.toString('utf8'));

async function publishOnce(topic: string, payload: string): Promise<void> {
  const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `pub-${Math.random().toString(36).slice(2)}` });
  await c.publishAsync(topic, payload, { qos: 1 });
  await c.endAsync();
}

/** A core behind a proxy whose link the test can cut and restore. */
async function nodeBehindProxy(nodeId: string, protocolVersion: 4 | 5, persistent: boolean, filters: string[]) {
  const proxy = new FreezableProxy();
  await proxy.start(broker.port);
  const core: MqttCore = makeCore({ url: `mqtt://127.0.0.1:${proxy.port}`, nodeId, stateDir: tempDir(), config: { protocolVersion, keepaliveSeconds: 2, session: { persistent } } });
  const got: Record<string, string[]> = {};
  for (const f of filters) {
    got[f] = [];
    core.subscribe(f, 'test', text, (v) => got[f].push(v));
  }
  await core.start();
  await waitFor(() => core.connectionState() === 'CONNECTED', 10_000, 'connected');
  // Subscribed at the broker (SUBACK) before the partition.
  await waitFor(() => Number(core.metrics().subscriptions_granted_total) >= filters.length, 10_000, 'subscribed');
  cleanups.push(async () => {
    await core.close();
    await proxy.stop();
  });
  return { core, proxy, got };
}

describe.each([5, 4] as const)('persistent session, MQTT protocol %s', (pv) => {
  it('a message published while the link is down is delivered when it returns', async () => {
    const { core, proxy, got } = await nodeBehindProxy(`sess-${pv}`, pv, true, ['fire/trigger']);
    proxy.open = false;
    proxy.cut();
    await waitFor(() => core.connectionState() !== 'CONNECTED', 10_000, 'link down');
    // The broker must have noticed the client is gone (socket closed), or it would still write to it.
    await new Promise((r) => setTimeout(r, 300));
    await publishOnce('fire/trigger', `t-${pv}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(got['fire/trigger']).toEqual([]);
    proxy.open = true;
    await waitFor(() => got['fire/trigger'].length > 0, 15_000, 'queued trigger delivered after the link returned');
    expect(got['fire/trigger']).toEqual([`t-${pv}`]);
  });

  it('control: with a clean session the same message is lost', async () => {
    const { core, proxy, got } = await nodeBehindProxy(`clean-${pv}`, pv, false, ['fire/trigger']);
    proxy.open = false;
    proxy.cut();
    await waitFor(() => core.connectionState() !== 'CONNECTED', 10_000, 'link down');
    await new Promise((r) => setTimeout(r, 300));
    await publishOnce('fire/trigger', 'lost');
    proxy.open = true;
    await waitFor(() => core.connectionState() === 'CONNECTED', 15_000, 'reconnected');
    await waitFor(() => Number(core.metrics().subscriptions_granted_total) >= 2, 10_000, 're-subscribed');
    await new Promise((r) => setTimeout(r, 500));
    expect(got['fire/trigger']).toEqual([]);
  });
});

it('messages queued for the previous run reach the right handler when the new run subscribes in another order (MQTT 5 subscription ids are stable)', async () => {
  const stateDir = tempDir();
  const first = makeCore({ url: broker.url, nodeId: 'order', stateDir, config: { protocolVersion: 5 } });
  first.subscribe('site/a/#', 'a', text, () => undefined);
  first.subscribe('fire/trigger', 'trig', text, () => undefined);
  await first.start();
  await waitFor(() => Number(first.metrics().subscriptions_granted_total) >= 2, 10_000, 'subscribed');
  await first.close(); // a clean DISCONNECT: the persistent session stays at the broker
  await publishOnce('fire/trigger', 'queued-trigger');
  await publishOnce('site/a/x', 'queued-a');

  const second = makeCore({ url: broker.url, nodeId: 'order', stateDir, config: { protocolVersion: 5 } });
  const trig: string[] = [];
  const a: string[] = [];
  second.subscribe('fire/trigger', 'trig', text, (v) => trig.push(v));
  second.subscribe('site/a/#', 'a', text, (v) => a.push(v));
  cleanups.push(() => second.close());
  await second.start();
  await waitFor(() => trig.length > 0 && a.length > 0, 10_000, 'both queued messages delivered');
  await new Promise((r) => setTimeout(r, 300));
  expect(trig).toEqual(['queued-trigger']);
  expect(a).toEqual(['queued-a']);
});
