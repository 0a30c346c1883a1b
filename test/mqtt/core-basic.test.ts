import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { jsonParser } from '../../src/mqtt/index.js';
import { FreezableProxy, makeCore, memoryLogger, Observer, waitFor } from './helpers.js';

const broker = new TestMosquitto();
beforeAll(() => broker.start());
afterAll(() => broker.stop());

describe('mqtt core against Mosquitto', () => {
  it('connects, retains online, publishes QoS 1 with envelope and prefix, emits a connected event', async () => {
    const obs = await Observer.start(broker.url, ['site1/#', 'frigate/#']);
    const core = makeCore({ url: broker.url, nodeId: 'pi-a', config: { topicPrefix: 'site1/' } });
    const states: string[] = [];
    core.onConnectionState((f, t) => states.push(`${f}->${t}`));
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    core.publish('fire/detection/north', { camera_id: 'north', detections: [] }, { qos: 1 });
    core.publish('frigate/events', 'foreign', { qos: 1 });
    await waitFor(() => obs.on('site1/fire/detection/north').length === 1 && obs.on('frigate/events').length === 1);
    const det = obs.on('site1/fire/detection/north')[0].json!;
    expect(det).toMatchObject({ v: 1, node_id: 'pi-a', camera_id: 'north' });
    expect(typeof det.id).toBe('string');
    expect(typeof det.ts).toBe('number');
    expect(obs.on('site1/system/pi-a/availability').map((g) => g.text)).toEqual(['online']);
    await waitFor(() => obs.on('site1/system/pi-a/connection').length === 1);
    expect(obs.on('site1/system/pi-a/connection')[0].json).toMatchObject({ event: 'connected', reason: 'start', attempts: 1, node_id: 'pi-a' });
    expect(states).toEqual(['DISCONNECTED->CONNECTING', 'CONNECTING->CONNECTED']);

    // online is retained: a late subscriber sees it
    const late = await Observer.start(broker.url, ['site1/system/pi-a/availability']);
    await waitFor(() => late.got.length === 1);
    expect(late.got[0]).toMatchObject({ text: 'online', retain: true });

    // clean close publishes offline itself (retained)
    await core.close();
    await waitFor(() => late.got.length === 2);
    expect(late.got[1].text).toBe('offline');
    expect(core.connectionState()).toBe('DISCONNECTED');
    await core.close(); // idempotent, never throws
    const m = core.metrics();
    expect(m.connects_total).toBe(1);
    expect(m.sent_total).toBeGreaterThanOrEqual(3);
    expect(m.outbox_depth).toBe(0);
    await obs.stop();
    await late.stop();
  });

  it.each([4, 5])('MQTT %i: strips the prefix inbound, validates, counts rejects by reason, isolates a throwing handler, one delivery per overlapping filter', async (protocolVersion) => {
    const log = memoryLogger('warn');
    const core = makeCore({ url: broker.url, nodeId: `pi-b${protocolVersion}`, logger: log, config: { topicPrefix: 'site2', maxInboundBytes: 1024, protocolVersion } });
    const good: Array<{ topic: string; n: number }> = [];
    const schema = z.object({ n: z.number() });
    core.subscribe('cmd/+', 'good', jsonParser(schema), (v, meta) => good.push({ topic: meta.topic, n: v.n }));
    core.subscribe('cmd/boom', 'bad', jsonParser(schema), () => {
      throw new Error('handler bug');
    });
    await core.start();
    await waitFor(() => core.connectionState() === 'CONNECTED');
    const pub = await Observer.start(broker.url, ['nothing']);
    const send = (t: string, p: string | Buffer) => pub.client.publishAsync(t, p, { qos: 1 });
    // Two filters granted: one SUBACK (3.1.1) or one per filter (5, subscription identifiers).
    await waitFor(() => core.metrics().subscriptions_granted_total === 2, 5000, 'subscriptions in place');
    expect(core.metrics().subscribe_failures_total).toBe(0);
    await send('site2/cmd/a', 'not json');
    await send('site2/cmd/a', JSON.stringify({ n: 'one' }));
    await send('site2/cmd/a', JSON.stringify({ n: 1, pad: 'x'.repeat(2000) }));
    await send('site2/cmd/boom', JSON.stringify({ n: 2 }));
    await send('site2/cmd/a', JSON.stringify({ n: 3 }));
    await send('cmd/a', JSON.stringify({ n: 99 })); // no prefix: not ours
    await waitFor(() => good.length === 2);
    expect(good).toEqual([
      { topic: 'cmd/boom', n: 2 },
      { topic: 'cmd/a', n: 3 },
    ]);
    const m = core.metrics();
    expect(m.rejected_total).toEqual({ non_json: 1, schema: 1, oversize: 1 });
    expect(m.handler_errors_total).toBe(1);
    expect(core.connectionState()).toBe('CONNECTED');
    expect(log.lines.some((l) => l.msg === 'inbound message rejected' && l.code === 'oversize')).toBe(true);
    expect(log.lines.some((l) => l.msg.startsWith('subscription handler threw') && l.owner === 'bad')).toBe(true);
    // unsubscribeOwner stops delivery
    core.unsubscribeOwner('good');
    await send('site2/cmd/a', JSON.stringify({ n: 4 }));
    await send('site2/cmd/boom', JSON.stringify({ n: 5 }));
    await waitFor(() => core.metrics().handler_errors_total === 2);
    await new Promise((r) => setTimeout(r, 100)); // would a second copy arrive?
    expect(core.metrics().handler_errors_total).toBe(2);
    expect(good).toHaveLength(2);
    await core.close();
    await pub.stop();
  });

  it('FAILED after N attempts is loud (log, metric, state) and keeps probing; the failed event is delivered after recovery', async () => {
    const gate = new FreezableProxy();
    await gate.start(broker.port);
    gate.open = false; // the broker looks unreachable: every attempt is cut at once
    const obs = await Observer.start(broker.url, ['system/pi-f/connection']);
    const log = memoryLogger('warn');
    const core = makeCore({ url: `mqtt://127.0.0.1:${gate.port}`, nodeId: 'pi-f', logger: log, config: { maxReconnectAttempts: 3 } });
    const states: string[] = [];
    core.onConnectionState((_f, t) => states.push(t));
    await core.start();
    await waitFor(() => core.connectionState() === 'FAILED', 10_000);
    expect(core.metrics().failed_total).toBe(1);
    expect(core.snapshot().state).toBe('FAILED');
    expect(log.lines.some((l) => l.level === 50 && /mqtt link FAILED/.test(l.msg))).toBe(true);
    const failuresAtFailed = core.metrics().consecutive_failures as number;
    await waitFor(() => (core.metrics().consecutive_failures as number) > failuresAtFailed, 5000, 'still probing');
    gate.open = true;
    await waitFor(() => obs.got.length >= 2, 10_000);
    expect(states).toEqual(['CONNECTING', 'RECONNECTING', 'FAILED', 'CONNECTED']);
    expect(obs.got.map((g) => g.json!.event)).toEqual(['failed', 'connected']);
    expect(obs.got[0].json).toMatchObject({ attempts: 3, node_id: 'pi-f' });
    await core.close();
    await obs.stop();
    await gate.stop();
  });

  it('with mqtt.stopWhenFailed the core stops probing in FAILED: no attempt after a reachable broker returns', async () => {
    const gate = new FreezableProxy();
    await gate.start(broker.port);
    gate.open = false;
    const log = memoryLogger('warn');
    const core = makeCore({ url: `mqtt://127.0.0.1:${gate.port}`, nodeId: 'pi-s', logger: log, config: { maxReconnectAttempts: 3, stopWhenFailed: true } });
    await core.start();
    await waitFor(() => core.connectionState() === 'FAILED', 10_000);
    expect(log.lines.some((l) => l.level === 50 && l.msg.includes('stopped (mqtt.stopWhenFailed)'))).toBe(true);
    const attempts = gate.accepted;
    expect(attempts).toBe(3);
    gate.open = true;
    // Five backoff caps (300 ms): a probing core would have reconnected several times over.
    await new Promise((r) => setTimeout(r, 1500));
    expect(gate.accepted).toBe(attempts);
    expect(core.connectionState()).toBe('FAILED');
    await core.close();
    expect(core.connectionState()).toBe('DISCONNECTED');
    await gate.stop();
  });

  it('QoS 0 is never queued while offline', async () => {
    const core = makeCore({ url: 'mqtt://127.0.0.1:1', nodeId: 'pi-c' });
    await core.start();
    core.publish('system/pi-c/telemetry', { cpu: 1 }, { qos: 0 });
    core.publish('system/pi-c/telemetry', { cpu: 2 }, { qos: 0 });
    const m = core.metrics();
    expect(m.qos0_dropped_offline_total).toBe(2);
    expect(m.outbox_depth).toBe(0);
    await core.close();
  });
});
