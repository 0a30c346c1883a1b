import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { makeCore, Observer, waitFor } from './helpers.js';

/**
 * MQTT 5 §3.3.4: a client never has more unacknowledged QoS 1 publishes than the broker's Receive
 * Maximum (CONNACK). mqtt.js does not enforce it; above it Mosquitto 2.0 acknowledged publishes of a
 * resumed persistent session without delivering them. Mosquitto advertises max_inflight_messages.
 */
const broker = new TestMosquitto({ extraConfig: 'max_inflight_messages 7' });
beforeAll(() => broker.start());
afterAll(() => broker.stop());

it('never has more QoS 1 publishes in flight than the broker Receive Maximum, and delivers all of them', async () => {
  const obs = await Observer.start(broker.url, ['rm/#'], { protocolVersion: 5 });
  const core = makeCore({ url: broker.url, nodeId: 'rm', config: { protocolVersion: 5, maxInflight: 1000 } });
  await core.start();
  await waitFor(() => core.connectionState() === 'CONNECTED', 10_000, 'connected');
  let maxInflight = 0;
  let sampling = true;
  const sample = () => {
    maxInflight = Math.max(maxInflight, Number(core.metrics().outbox_inflight));
    if (sampling) setImmediate(sample);
  };
  sample();
  for (let i = 0; i < 300; i++) core.publish('rm/x', { i }, { qos: 1 });
  await waitFor(() => new Set(obs.on('rm/x').map((g) => g.json!.i)).size === 300, 20_000, 'all 300 delivered');
  sampling = false;
  expect(maxInflight).toBeGreaterThan(0);
  expect(maxInflight).toBeLessThanOrEqual(7);
  await core.close();
  await obs.stop();
});
