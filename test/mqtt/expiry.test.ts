import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { makeCore, Observer, waitFor } from './helpers.js';

const broker = new TestMosquitto();
beforeAll(() => broker.start());
afterAll(() => broker.stop());

describe('message expiry for commands that start hardware', () => {
  it('MQTT 5: the message-expiry property carries the remaining lifetime', async () => {
    const obs = await Observer.start(broker.url, ['fire/trigger'], { protocolVersion: 5 });
    const core = makeCore({ url: broker.url, nodeId: 'exp5' });
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    core.publish('fire/trigger', { action: 'trigger' }, { qos: 1, expirySeconds: 120 });
    core.publish('fire/trigger', { action: 'trigger', n: 2 }, { qos: 1 });
    await waitFor(() => obs.got.length === 2);
    expect(obs.got[0].expiry).toBeGreaterThanOrEqual(119);
    expect(obs.got[0].expiry).toBeLessThanOrEqual(120);
    expect(obs.got[1].expiry).toBeUndefined();
    await core.close();
    await obs.stop();
  });

  it('a start queued while offline is dropped (counted) once expired, not sent late; the rest is replayed', async () => {
    const clock = new VirtualClock(Date.now());
    const port = broker.port;
    await broker.stop();
    const core = makeCore({ url: `mqtt://127.0.0.1:${port}`, nodeId: 'exp4', clock, config: { protocolVersion: 4 } });
    await core.start();
    await waitFor(() => core.connectionState() === 'RECONNECTING', 5000, 'first attempt refused');
    core.publish('fire/trigger', { action: 'trigger', n: 1 }, { qos: 1, expirySeconds: 60 });
    core.publish('fire/trigger', { action: 'trigger', n: 2 }, { qos: 1 });
    await core.flush();
    clock.jumpWall(61_000); // an hour-long outage, compressed: wall time passes the expiry
    await broker.start();
    const watch = await Observer.start(broker.url, ['fire/trigger']);
    clock.advance(1000); // the backoff timer fires in virtual time: reconnect and replay
    await waitFor(() => watch.got.length === 1 && core.metrics().outbox_depth === 0, 5000);
    expect(watch.got.map((g) => g.json!.n)).toEqual([2]);
    expect(core.metrics().outbox_dropped_total).toEqual({ expired: 1 });
    await core.close();
    await watch.stop();
  });
});
