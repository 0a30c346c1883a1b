import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { FIRE_CAMERAS, startNode, waitFor, type NodeUnderTest } from './harness.js';

// Local first (docs/design.md): the broker dies in the middle of the fire clip; the node's own consensus
// still starts its own pump through the in-process bus, and the trigger and pump events reach the
// broker (and a subscriber with a persistent session) after it returns, from the durable outbox.
describe('e2e: broker killed mid-clip', () => {
  // autosave every second so the subscriber's persistent session survives a SIGKILL of the broker.
  const broker = new TestMosquitto({ extraConfig: 'autosave_interval 1' });
  let node: NodeUnderTest | undefined;
  let sub: mqtt.MqttClient | undefined;
  beforeAll(() => broker.start());
  afterAll(async () => {
    sub?.end(true);
    await node?.stop();
    await broker.stop();
  });

  it('the local pump starts while the broker is down; trigger and pump events are delivered after it returns', async () => {
    const received: Array<{ topic: string; payload: Record<string, unknown> }> = [];
    sub = mqtt.connect(broker.url, { clientId: 'e2e-observer', clean: false, reconnectPeriod: 200, protocolVersion: 4 });
    const s = sub;
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => s.subscribe(['fire/trigger', 'pump/+/event'], { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
    s.on('message', (topic, payload) => received.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown> }));
    await new Promise((r) => setTimeout(r, 1500)); // let mosquitto autosave the session

    node = await startNode({
      brokerUrl: broker.url,
      threshold: 2,
      cameras: FIRE_CAMERAS,
    });
    const n = node;
    // Mid-clip: both cameras are seeing fire, no trigger yet.
    expect(await waitFor(() => (n.fireMessages.get('north') ?? 0) >= 1 && (n.fireMessages.get('east') ?? 0) >= 1, 30_000)).toBe(true);
    expect(n.triggers).toEqual([]);
    await broker.stop('SIGKILL');

    // Local first: the node decides and opens the valve with no broker at all.
    expect(await waitFor(() => n.mainValveOpenedAt() !== null, 30_000)).toBe(true);
    const triggerId = n.triggers[0]?.id;
    expect(typeof triggerId).toBe('string');
    expect(received.filter((m) => m.topic === 'fire/trigger')).toEqual([]);
    const mqttSnap = n.app.snapshot().mqtt as { state: string; outbox: { depth: number } };
    expect(mqttSnap.state).not.toBe('CONNECTED');
    expect(mqttSnap.outbox.depth).toBeGreaterThan(0);

    // The broker returns: the outbox replays, the observer's session receives what it missed.
    await broker.start();
    expect(await waitFor(() => received.some((m) => m.topic === 'fire/trigger' && m.payload.id === triggerId), 30_000)).toBe(true);
    expect(await waitFor(() => received.some((m) => m.topic === 'pump/e2e-node/event'), 10_000)).toBe(true);
    // Exactly one trigger id even if the replay sent it twice (ids make duplicates removable).
    const ids = new Set(received.filter((m) => m.topic === 'fire/trigger').map((m) => m.payload.id));
    expect(ids.has(triggerId)).toBe(true);
    // The pump ran once: a replayed trigger is de-duplicated by id.
    const starts = n.gpio.timeline.filter((c) => c.pin === 18 && c.level === 1 && c.kind === 'output');
    expect(starts).toHaveLength(1);
  });
});
