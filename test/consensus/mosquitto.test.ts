import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAppBus } from '../../src/bus/index.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { createConsensus, parseConsensusConfig, type ConsensusService } from '../../src/consensus/index.js';
import { createMqttCore, MemoryOutboxStore, mqttConfigSchema, type MqttCore } from '../../src/mqtt/index.js';
import { triggerSchema, type TriggerMessage } from '../../src/topics/payloads.js';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { G_SIDES, ownMessage } from './harness.js';

/**
 * Consensus against a real Mosquitto, with the real MQTT core (src/mqtt createMqttCore) as the
 * consensus node's link. Camera publishers and the trigger observer are plain mqtt.js clients.
 */
const broker = new TestMosquitto();
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  // Mosquitto started as root drops to its own user; let it write its persistence file (the
  // observer's session must survive the restart in the outage test).
  chmodSync(broker.dir, 0o777);
  await broker.start();
});
afterAll(async () => {
  await broker.stop();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function client(opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(broker.url, { reconnectPeriod: 100, connectTimeout: 5000, ...opts });
  cleanups.push(() => c.endAsync(true));
  return c;
}

async function consensusNode(config: Record<string, unknown>): Promise<{ core: MqttCore; service: ConsensusService; bus: ReturnType<typeof createAppBus>; busTriggers: TriggerMessage[] }> {
  const core = createMqttCore({
    config: mqttConfigSchema.parse({ url: broker.url, backoff: { baseMs: 50, capMs: 200 }, maxReconnectAttempts: 0, closeGraceMs: 1000, connectTimeoutSeconds: 2 }),
    nodeId: 'cons',
    stateDir: mkdtempSync(join(tmpdir(), 'wfe-cons-')),
    logger: silentLogger(),
    store: new MemoryOutboxStore(),
  });
  const bus = createAppBus();
  const busTriggers: TriggerMessage[] = [];
  bus.on('trigger', 'test', (t) => busTriggers.push(t));
  const service = createConsensus({ config: parseConsensusConfig(config), nodeId: 'cons', logger: silentLogger(), clock: systemClock, bus, link: core, modelThreshold: 0.5 });
  await core.start();
  await service.start();
  cleanups.push(async () => {
    await service.stop();
    await core.close();
  });
  await until(() => core.connectionState() === 'CONNECTED', 'core connected');
  return { core, service, bus, busTriggers };
}

async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** MQTT 5 message-expiry interval of each fire/trigger the observer saw (undefined when absent). */
const expiries: Array<number | undefined> = [];

async function observer(opts: mqtt.IClientOptions = {}): Promise<TriggerMessage[]> {
  const seen: TriggerMessage[] = [];
  const obs = await client(opts);
  obs.on('message', (topic, payload, packet) => {
    if (topic !== 'fire/trigger') return;
    seen.push(triggerSchema.parse(JSON.parse(payload.toString())));
    expiries.push(packet.properties?.messageExpiryInterval);
  });
  await obs.subscribeAsync('fire/trigger', { qos: 1 });
  return seen;
}

describe('consensus over real Mosquitto', () => {
  it('two camera publishers produce exactly one fire/trigger with the expected fields', async () => {
    const node = await consensusNode({ threshold: 2, cameras: { north: {}, south: {} } });
    expiries.length = 0;
    const seen = await observer({ protocolVersion: 5 });
    const north = await client({ clientId: 'cam-north' });
    const south = await client({ clientId: 'cam-south' });
    // Connected is not listening: wait for the SUBACKs of the adapter's 5 filters (detections,
    // legacy detections, Frigate events, camera status, availability).
    await until(() => (node.core.metrics().subscriptions_granted_total as number) >= 5, 'subscriptions granted');
    for (const side of G_SIDES) {
      for (const [cam, c] of [['north', north], ['south', south]] as const) {
        await c.publishAsync(`fire/detection/${cam}`, JSON.stringify(ownMessage(cam, [{ box: [0.2, 0.2, 0.2 + side, 0.2 + side], track: 7 }], { node_id: `node-${cam}` })), { qos: 1 });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => seen.length >= 1, 'fire/trigger');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(1);
    const t = seen[0];
    expect(t).toMatchObject({
      action: 'trigger',
      confidence: 'high',
      trigger_count: 1,
      consensus_cameras: ['north', 'south'],
      fire_locations: [['north', '7'], ['south', '7']],
      node_id: 'cons',
      service_id: 'fire_consensus@cons',
      v: 1,
    });
    expect(t.expires_at! - t.timestamp!).toBeCloseTo(120, 6);
    expect(Math.abs(t.timestamp! - Date.now() / 1000)).toBeLessThan(30);
    // docs/mqtt-core.md: under MQTT 5 the trigger also carries the message-expiry property (remaining
    // lifetime), so a broker holding it for an offline pump drops it instead of delivering it late.
    expect(expiries).toHaveLength(1);
    expect(expiries[0]).toBeGreaterThan(100);
    expect(expiries[0]).toBeLessThanOrEqual(120);
    expect(t.evidence?.map((e) => [e.camera, e.reason])).toEqual([['north', 'growing'], ['south', 'growing']]);
    expect(node.busTriggers.map((b) => b.id)).toEqual([t.id]);
    expect(node.service.metrics()).toMatchObject({ detections_accepted: 12, triggers: 1 });
  });

  it('a trigger decided while the broker is down starts the local pump at once and is delivered when it returns', async () => {
    const node = await consensusNode({ threshold: 1 });
    const seen = await observer({ clientId: 'obs-persistent', clean: false });
    await broker.stop();
    await until(() => node.core.connectionState() !== 'CONNECTED', 'core noticed the outage');
    // The local camera role feeds consensus over the bus (docs/design.md "Local first").
    for (const side of G_SIDES) node.bus.emit('detections', { camera: 'local', message: ownMessage('local', [{ box: [0.2, 0.2, 0.2 + side, 0.2 + side], track: 1 }]) });
    expect(node.busTriggers).toHaveLength(1);
    expect(seen).toHaveLength(0);
    await broker.start();
    await until(() => seen.length >= 1, 'trigger delivered after the broker returned');
    expect(seen[0].id).toBe(node.busTriggers[0].id);
    expect(seen[0].consensus_cameras).toEqual(['local']);
  });
});
