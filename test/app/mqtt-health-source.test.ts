import { describe, expect, it } from 'vitest';
import { mqttHealthSource } from '../../src/app/mqtt-health-source.js';
import type { MqttCoreSnapshot } from '../../src/mqtt/index.js';
import { evaluateHealth } from '../../src/telemetry/health.js';

function snap(depth: number, bytes: number): MqttCoreSnapshot {
  return {
    state: 'RECONNECTING',
    stateSeconds: 12,
    url: 'mqtt://127.0.0.1:1883',
    embedded: false,
    clientId: 'wfe-n1',
    protocolVersion: 5,
    consecutiveFailures: 3,
    outbox: { depth, bytes, inflight: 0 },
    lastError: null,
  } as MqttCoreSnapshot;
}

const health = (depth: number, bytes: number) =>
  evaluateHealth({
    mqtt: mqttHealthSource(snap(depth, bytes), { maxMessages: 10_000, maxBytes: 1_000_000 }),
    cameras: [],
    detector: null,
    consensus: null,
    pump: null,
    listeners: [],
    clockSync: 'synced',
    sourceErrors: [],
  });

describe('MQTT health source (core snapshot + configured outbox bounds)', () => {
  it('raises outbox_filling above 80 % of maxMessages', () => {
    expect(health(8_001, 10).problems.map((p) => p.code)).toContain('outbox_filling');
    expect(health(8_000, 10).problems.map((p) => p.code)).not.toContain('outbox_filling');
  });

  it('raises outbox_filling above 80 % of maxBytes even with few messages', () => {
    expect(health(5, 900_000).problems.map((p) => p.code)).toContain('outbox_filling');
  });

  it('carries depth, bytes and bounds through', () => {
    const s = mqttHealthSource(snap(7, 70), { maxMessages: 100, maxBytes: 1000 });
    expect(s).toMatchObject({ state: 'RECONNECTING', outboxDepth: 7, outboxBytes: 70, outboxMax: 100, outboxMaxBytes: 1000 });
  });
});
