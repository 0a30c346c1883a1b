import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/index.js';
import { parseConfigObject } from '../../src/config/index.js';
import { systemClock } from '../../src/core/clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { healthPayloadSchema } from '../../src/topics/payloads.js';
import { DEFAULT_PINS, MockGpioDriver } from '../../src/pump/index.js';
import { SHORT_PUMP_TIMINGS, waitFor } from '../e2e/harness.js';
import { TestMosquitto } from '../helpers/mosquitto.js';

// Issue 15 item 5: one id source per process. Every JSON object a node publishes carries the
// docs/topics.md envelope, and its id comes from the process's one source (`<bootId>-<counter>`):
// no part mints its own (random UUIDs, `<node>-state-<n>` restarting at 1) any more.

const broker = new TestMosquitto();
beforeAll(() => broker.start());
afterAll(() => broker.stop());

describe('one id and envelope source', () => {
  it('every message the node publishes (core, pump, consensus, telemetry) carries an envelope with an id from the one source', async () => {
    const r = parseConfigObject(
      {
        node: { id: 'env-node' },
        roles: ['consensus', 'pump'],
        stateDir: mkdtempSync(join(tmpdir(), 'wfe-envelope-')),
        mqtt: { url: broker.url, closeGraceMs: 500 },
        consensus: { threshold: 1 },
        pump: { driver: 'mock', timings: SHORT_PUMP_TIMINGS },
      },
      'test',
      { env: {} },
    );
    if (!r.ok) throw new Error(r.reason);
    const obs = await mqtt.connectAsync(broker.url, { clientId: 'obs-envelope' });
    const got: Array<{ topic: string; json: Record<string, unknown> }> = [];
    obs.on('message', (topic, payload) => {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        return; // availability is plain text
      }
      if (json && typeof json === 'object' && !Array.isArray(json)) got.push({ topic, json: json as Record<string, unknown> });
    });
    await obs.subscribeAsync('#', { qos: 1 });
    const gpio = new MockGpioDriver({ clock: systemClock });
    const app = createApp({ config: r.value.config, logger: memoryLogger('info'), overrides: { pumpDriver: gpio } });
    try {
      expect((await app.start()).ok).toBe(true);
      // A local trigger (the test's own id, as consensus would send it) makes the pump publish its
      // acks, events and states; consensus and telemetry publish their state and health at start.
      const now = Date.now() / 1000;
      app.bus.emit('trigger', { action: 'trigger', v: 1, id: 'env-trigger-1', node_id: 'env-node', ts: now, timestamp: now, expires_at: now + 60 });
      expect(await waitFor(() => gpio.level(DEFAULT_PINS.mainValve) === 1, 5000)).toBe(true);
      const has = (t: string) => got.some((g) => g.topic === t);
      const wanted = ['pump/env-node/state', 'pump/env-node/event', 'pump/env-node/trigger_ack', 'consensus/env-node/state', 'system/env-node/health', 'system/env-node/connection'];
      expect(await waitFor(() => wanted.every(has), 10_000), `seen: ${[...new Set(got.map((g) => g.topic))].join(', ')}`).toBe(true);
    } finally {
      await app.stop('test');
      await obs.endAsync();
    }
    const boot = app.context.ids.bootId;
    expect(got.length).toBeGreaterThan(6);
    for (const { topic, json } of got) {
      expect(json, topic).toMatchObject({ v: 1, node_id: 'env-node' });
      expect(typeof json.ts, topic).toBe('number');
      expect(String(json.id), topic).toMatch(new RegExp(`^${boot}-[0-9a-z]+$`));
    }
    // Health as it arrives from the broker parses with its topic schema (issue 15 item 2).
    const healths = got.filter((g) => g.topic === 'system/env-node/health');
    expect(healths.length).toBeGreaterThan(0);
    for (const h of healths) expect(healthPayloadSchema.safeParse(h.json).error?.issues ?? []).toEqual([]);
    // One counter for the whole process: an id never names messages on two topics (a last value
    // sent again after a reconnect is the same message, same id).
    const topicsOf = new Map<unknown, Set<string>>();
    for (const g of got) topicsOf.set(g.json.id, (topicsOf.get(g.json.id) ?? new Set()).add(g.topic));
    for (const [id, ts] of topicsOf) expect([...ts], String(id)).toHaveLength(1);
  });
});
