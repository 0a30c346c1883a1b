import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { silentLogger } from '../../src/log/logger.js';
import { createMqttCore, MemoryOutboxStore, mqttConfigSchema, type MqttCore } from '../../src/mqtt/index.js';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { fast } from '../hil/fast-profile.js';

// The pump on the real MQTT core (src/mqtt createMqttCore) against a real Mosquitto: a
// `fire/trigger` message starts the sequence; state, events and acks appear on their topics.

const broker = new TestMosquitto();
beforeAll(() => broker.start());
afterAll(() => broker.stop());

async function waitFor(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pump over real MQTT (Mosquitto + the MQTT core)', () => {
  let core: MqttCore | undefined;
  afterAll(async () => core?.close());

  it('retained trigger ignored; fire/trigger starts the sequence; state (retained), events and acks published', async () => {
    const obs = await mqtt.connectAsync(broker.url, { clientId: 'obs-pump' });
    const got: Array<{ topic: string; json: Record<string, unknown>; retain: boolean }> = [];
    obs.on('message', (topic, payload, packet) => got.push({ topic, json: JSON.parse(payload.toString()), retain: packet.retain }));
    await obs.subscribeAsync('pump/pmp/#', { qos: 1 });
    // A retained trigger left on the broker must never start the pump (docs/topics.md).
    await obs.publishAsync('fire/trigger', JSON.stringify({ action: 'trigger', id: 'stale' }), { qos: 1, retain: true });

    core = createMqttCore({ config: mqttConfigSchema.parse({ url: broker.url }), nodeId: 'pmp', stateDir: mkdtempSync(join(tmpdir(), 'wfe-pm-')), logger: silentLogger(), store: new MemoryOutboxStore() });
    const rig = await HilRig.create({ pump: fast(), link: core, nodeId: 'pmp' });
    await core.start();
    await waitFor(() => core!.connectionState() === 'CONNECTED', 'connected');
    await waitFor(() => rig.eventsNamed('trigger_refused').some((e) => e.reason === 'retained'), 'retained trigger refused');
    expect(rig.state()).toBe('IDLE');
    await obs.publishAsync('fire/trigger', '', { qos: 1, retain: true }); // clear it

    await obs.publishAsync('fire/trigger', JSON.stringify({ action: 'trigger', id: 'live-1', confidence: 0.93, consensus_cameras: ['north', 'east'] }), { qos: 1 });
    await waitFor(() => rig.state() === 'PRIMING', 'PRIMING');
    expect(rig.outputs()).toMatchObject({ mainValve: true, refillValve: true, primingValve: true, ignitionOn: false });
    rig.advanceTo(5); // virtual time: crank done, RUNNING
    expect(rig.state()).toBe('RUNNING');

    await waitFor(() => got.some((g) => g.topic === 'pump/pmp/state' && g.json.state === 'RUNNING'), 'RUNNING state on MQTT');
    const states = got.filter((g) => g.topic === 'pump/pmp/state').map((g) => g.json);
    expect(states.map((s) => s.state)).toEqual(expect.arrayContaining(['IDLE', 'PRIMING', 'STARTING', 'RUNNING']));
    expect(states.find((s) => s.state === 'RUNNING')).toMatchObject({ node_id: 'pmp', v: 1, driver: 'mock', lastTriggerId: 'live-1', outputs: { mainValve: true, ignitionOn: true } });
    // Events travel through the durable outbox (QoS 1, written before sending) while state is a
    // direct last-value publish, so events may arrive after the RUNNING state: wait for them.
    const eventKeys = () => got.filter((g) => g.topic === 'pump/pmp/event').map((g) => `${g.json.event}:${g.json.from}>${g.json.to}`);
    await waitFor(() => eventKeys().includes('transition:STARTING>RUNNING'), 'RUNNING transition event on MQTT');
    const events = eventKeys();
    expect(events).toEqual(expect.arrayContaining(['trigger_refused:IDLE>null', 'transition:IDLE>PRIMING', 'transition:PRIMING>STARTING', 'transition:STARTING>RUNNING']));

    // A command with an id is acked on pump/<node>/ack.
    await obs.publishAsync('fire/emergency', JSON.stringify({ action: 'stop', id: 'op-1', source: 'test' }), { qos: 1 });
    await waitFor(() => got.some((g) => g.topic === 'pump/pmp/ack'), 'ack');
    expect(got.find((g) => g.topic === 'pump/pmp/ack')?.json).toMatchObject({ command_id: 'op-1', action: 'stop', accepted: true, reason: null });
    expect(rig.state()).toBe('STOPPING');

    // The state topic is retained: a late subscriber gets the latest value.
    const late = await mqtt.connectAsync(broker.url, { clientId: 'obs-late' });
    const lateGot: Array<{ json: Record<string, unknown>; retain: boolean }> = [];
    late.on('message', (_t, p, pk) => lateGot.push({ json: JSON.parse(p.toString()), retain: pk.retain }));
    await late.subscribeAsync('pump/pmp/state', { qos: 1 });
    await waitFor(() => lateGot.length > 0, 'retained state');
    expect(lateGot[0]).toMatchObject({ retain: true, json: { state: 'STOPPING' } });

    await rig.stop();
    await waitFor(() => got.filter((g) => g.topic === 'pump/pmp/state').some((g) => Object.values(g.json.outputs as object).every((v) => v === false) && g.json.state === 'STOPPED_FOR_EXIT'), 'final all-off state');
    await late.endAsync();
    await obs.endAsync();
  });
});
