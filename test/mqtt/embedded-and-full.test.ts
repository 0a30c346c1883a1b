import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { startEmbeddedBroker } from '../../src/mqtt/index.js';
import { freePort } from '../helpers/mosquitto.js';
import { makeCore, memoryLogger, Observer, persistentBroker, waitFor } from './helpers.js';

describe('embedded broker', () => {
  it('with no mqtt.url the core starts aedes on loopback (MQTT 3.1.1) and works end to end', async () => {
    const port = await freePort();
    const core = makeCore({ nodeId: 'solo', config: { embedded: { port } } });
    const got: unknown[] = [];
    core.subscribe('fire/trigger', 'pump', (b) => ({ ok: true, value: JSON.parse(b.toString()) }), (v) => got.push(v));
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    expect(core.snapshot()).toMatchObject({ embedded: true, protocolVersion: 4, url: `mqtt://127.0.0.1:${port}` });
    const obs = await Observer.start(`mqtt://127.0.0.1:${port}`, ['system/solo/availability']);
    await waitFor(() => obs.got.length === 1);
    expect(obs.got[0]).toMatchObject({ text: 'online', retain: true });
    core.publish('fire/trigger', { action: 'trigger' }, { qos: 1, expirySeconds: 60 });
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ action: 'trigger', node_id: 'solo' });
    await obs.stop();
    await core.close();
    // the embedded broker is gone with the core
    const again = await startEmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
    await again.close();
  });

  it('refuses clearly when the port is taken', async () => {
    const b = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    await expect(startEmbeddedBroker({ host: '127.0.0.1', port: b.port, logger: silentLogger() })).rejects.toThrow(/cannot listen .*set mqtt.url/);
    await b.close();
    await b.close(); // idempotent
  });
});

describe('outbox full through the core', () => {
  it('offline with a small outbox: low priority dropped first and counted, alarms delivered after reconnect', async () => {
    const broker = persistentBroker();
    await broker.start();
    const obs = await Observer.start(broker.url, ['fire/#', 'misc/#'], { clientId: 'obs-full' });
    await broker.stop('SIGTERM'); // the observer's persistent session is saved
    const log = memoryLogger('warn');
    const core = makeCore({ url: broker.url, nodeId: 'full', logger: log, config: { outbox: { maxMessages: 20 } } });
    await core.start();
    for (let i = 0; i < 10; i++) core.publish('fire/trigger', { action: 'trigger', n: i }, { qos: 1 });
    for (let i = 0; i < 30; i++) core.publish('fire/detection/cam', { detections: [], n: i }, { qos: 1 });
    for (let i = 0; i < 5; i++) core.publish('misc/info', { n: i }, { qos: 1 });
    await core.flush();
    const m = core.metrics();
    expect(m.outbox_depth).toBe(20);
    // Alarms kept; the 20 oldest detections dropped; misc (lowest priority, everything else higher) dropped.
    expect(m.outbox_dropped_total).toEqual({ full_p2: 20, full_p3: 5 });
    expect(log.lines.some((l) => l.msg === 'outbox dropped messages')).toBe(true);
    await broker.start();
    await waitFor(() => obs.got.length >= 20, 10_000, 'replay');
    await new Promise((r) => setTimeout(r, 100));
    expect(obs.on('fire/trigger').map((g) => g.json!.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(obs.on('fire/detection/cam').map((g) => g.json!.n)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(obs.on('misc/info')).toEqual([]);
    await core.close();
    await obs.stop();
    await broker.stop();
  });
});
