import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { createApp, discoveryMessages } from '../../src/app/index.js';
import { HA_BUTTON_ACTIONS, HA_STATUS_TOPIC } from '../../src/app/homeassistant.js';
import { parseConfigObject } from '../../src/config/index.js';
import { systemClock } from '../../src/core/clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { MockGpioDriver } from '../../src/pump/index.js';
import { SHORT_PUMP_TIMINGS, waitFor } from '../e2e/harness.js';

function config(extra: Record<string, unknown> = {}) {
  const r = parseConfigObject(
    {
      node: { id: 'pi-north' },
      roles: ['camera', 'consensus', 'pump'],
      stateDir: mkdtempSync(join(tmpdir(), 'wfe-ha-')),
      mqtt: { embedded: { port: 0 }, closeGraceMs: 500 },
      cameras: [{ id: 'north', url: 'rtsp://cam.lan/stream' }, { id: 'south', url: 'rtsp://cam2.lan/stream' }],
      consensus: { threshold: 1 },
      pump: { driver: 'mock', timings: SHORT_PUMP_TIMINGS },
      http: { enabled: false },
      homeassistant: { discovery: true },
      ...extra,
    },
    'test',
    { env: {} },
  );
  if (!r.ok) throw new Error(r.reason);
  return r.value.config;
}

// Home Assistant's MQTT discovery rules, as its source states them (homeassistant/components/mqtt:
// schemas.py, entity.py and the platform modules): the keys each platform accepts, the required ones,
// the device/origin/availability shapes and the discovery topic format. HA drops a config that breaks
// them (with only a log line on the HA side), so a broken entity would simply never appear.
const COMMON = [
  'availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available', 'payload_not_available',
  'device', 'origin', 'default_entity_id', 'enabled_by_default', 'encoding', 'entity_category', 'entity_picture', 'icon',
  'json_attributes_template', 'json_attributes_topic', 'name', 'qos', 'unique_id',
];
const PLATFORM_KEYS: Record<string, { keys: string[]; required: string[] }> = {
  sensor: { keys: ['state_topic', 'value_template', 'device_class', 'state_class', 'unit_of_measurement', 'expire_after', 'force_update', 'last_reset_value_template', 'suggested_display_precision', 'options'], required: ['state_topic'] },
  binary_sensor: { keys: ['state_topic', 'value_template', 'device_class', 'payload_on', 'payload_off', 'expire_after', 'force_update', 'off_delay'], required: ['state_topic'] },
  button: { keys: ['command_topic', 'command_template', 'payload_press', 'retain', 'device_class'], required: ['command_topic'] },
  image: { keys: ['image_topic', 'url_topic', 'url_template', 'content_type', 'image_encoding'], required: [] },
};
const ENTITY_CATEGORIES = ['config', 'diagnostic'];
const BINARY_DEVICE_CLASSES = ['battery', 'cold', 'connectivity', 'door', 'gas', 'heat', 'moisture', 'motion', 'opening', 'power', 'problem', 'running', 'safety', 'smoke', 'tamper'];

function checkHaRules(topic: string, payload: Record<string, unknown>): string[] {
  const errs: string[] = [];
  const m = /^homeassistant\/([a-z_]+)\/([a-zA-Z0-9_-]+)\/([a-zA-Z0-9_-]+)\/config$/.exec(topic);
  if (!m) return [`topic ${topic} is not homeassistant/<component>/<node_id>/<object_id>/config`];
  const platform = m[1];
  const spec = PLATFORM_KEYS[platform];
  if (!spec) return [`platform ${platform} not checked here`];
  for (const k of Object.keys(payload)) if (!COMMON.includes(k) && !spec.keys.includes(k)) errs.push(`${topic}: unknown key ${k}`);
  for (const k of spec.required) if (payload[k] === undefined) errs.push(`${topic}: missing required ${k}`);
  if ('object_id' in payload) errs.push(`${topic}: object_id is ignored since HA 2026.4; use default_entity_id`);
  if (typeof payload.default_entity_id !== 'string' || !new RegExp(`^${platform}\\.[a-z0-9_]+$`).test(payload.default_entity_id)) errs.push(`${topic}: default_entity_id must be ${platform}.<lowercase id>`);
  if (typeof payload.unique_id !== 'string') errs.push(`${topic}: unique_id needed for a device entity`);
  const dev = payload.device as { identifiers?: unknown[]; connections?: unknown[] } | undefined;
  if (!dev || !((dev.identifiers?.length ?? 0) > 0 || (dev.connections?.length ?? 0) > 0)) errs.push(`${topic}: device needs identifiers or connections`);
  const origin = payload.origin as { name?: unknown } | undefined;
  if (!origin || typeof origin.name !== 'string') errs.push(`${topic}: origin.name required`);
  if (payload.availability !== undefined && payload.availability_topic !== undefined) errs.push(`${topic}: availability and availability_topic are exclusive`);
  for (const a of (payload.availability as Array<Record<string, unknown>> | undefined) ?? []) {
    if (typeof a.topic !== 'string' || /[+#]/.test(a.topic) === false && a.topic.length === 0) errs.push(`${topic}: availability entry needs a topic`);
    for (const k of Object.keys(a)) if (!['topic', 'payload_available', 'payload_not_available', 'value_template'].includes(k)) errs.push(`${topic}: availability key ${k}`);
  }
  if (payload.entity_category !== undefined && !ENTITY_CATEGORIES.includes(String(payload.entity_category))) errs.push(`${topic}: entity_category`);
  if (platform === 'binary_sensor' && payload.device_class !== undefined && !BINARY_DEVICE_CLASSES.includes(String(payload.device_class))) errs.push(`${topic}: binary_sensor device_class ${String(payload.device_class)}`);
  if (platform === 'image' && (payload.image_topic === undefined) === (payload.url_topic === undefined)) errs.push(`${topic}: image needs exactly one of image_topic / url_topic`);
  for (const k of ['state_topic', 'command_topic', 'json_attributes_topic', 'image_topic']) {
    const t = payload[k];
    if (t !== undefined && (typeof t !== 'string' || t.length === 0 || (k === 'command_topic' && /[+#]/.test(t)))) errs.push(`${topic}: ${k} invalid`);
  }
  return errs;
}

// HA renders command_template with Jinja; these are the only expressions the buttons use.
function renderButtonTemplate(tpl: string, nowS: number): string {
  const out = tpl
    .replace(/\{\{ now\(\)\.timestamp\(\) \| int \}\}/g, String(Math.floor(nowS)))
    .replace(/\{\{ range\(1000000\) \| random \}\}/g, String(Math.floor(Math.random() * 1e6)))
    .replace(/\{\{ now\(\)\.timestamp\(\) \}\}/g, String(nowS));
  expect(out, 'a template expression this test does not know').not.toMatch(/\{\{|\}\}/);
  return out;
}

describe('Home Assistant discovery payloads', () => {
  it('every config follows the HA discovery rules (keys, required keys, default_entity_id, origin, availability)', () => {
    const msgs = discoveryMessages(config(), '9.9.9');
    expect(msgs.length).toBeGreaterThan(15);
    const errs = msgs.flatMap((m) => checkHaRules(m.topic, m.payload));
    expect(errs).toEqual([]);
    const ids = msgs.map((m) => m.payload.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('offers the entities users expect, and never a remote start', () => {
    const topics = discoveryMessages(config(), '1.0.0').map((m) => m.topic);
    for (const t of [
      'binary_sensor/wfe_pi-north/fire_confirmed', 'binary_sensor/wfe_pi-north/pump_running', 'binary_sensor/wfe_pi-north/pump_error',
      'binary_sensor/wfe_pi-north/main_valve', 'sensor/wfe_pi-north/pump_state', 'sensor/wfe_pi-north/cpu_temperature',
      'binary_sensor/wfe_pi-north/throttled', 'sensor/wfe_pi-north/outbox_depth', 'image/wfe_pi-north/camera_north_snapshot',
      'button/wfe_pi-north/pump_stop', 'button/wfe_pi-north/pump_disarm', 'button/wfe_pi-north/pump_arm', 'button/wfe_pi-north/pump_reset',
    ]) expect(topics).toContain(`homeassistant/${t}/config`);
    expect(topics.filter((t) => t.includes('/button/'))).toHaveLength(HA_BUTTON_ACTIONS.length);
    for (const m of discoveryMessages(config(), '1.0.0')) expect(JSON.stringify(m.payload)).not.toMatch(/"action\\?":\\?"(start|bypass_start|valve_open)/);
    // Buttons can be turned off; a camera-only node has no pump entities at all.
    expect(discoveryMessages(config({ homeassistant: { discovery: true, buttons: false } }), '1').some((m) => m.topic.includes('/button/'))).toBe(false);
    expect(discoveryMessages(config({ roles: ['camera'] }), '1').some((m) => /pump|button/.test(m.topic))).toBe(false);
    // No snapshot entity where snapshots are off.
    expect(discoveryMessages(config({ detect: { snapshot: { enabled: false } } }), '1').some((m) => m.topic.includes('/image/'))).toBe(false);
  });
});

describe('Home Assistant against a running node (embedded broker)', () => {
  it('buttons disarm/arm this pump through fire/emergency with an ack; a button of another node is ignored; HA birth republishes discovery', async () => {
    const cfg = config({ roles: ['pump'], cameras: [] });
    const app = createApp({ config: cfg, logger: memoryLogger('warn'), overrides: { pumpDriver: new MockGpioDriver({ clock: systemClock }) } });
    expect((await app.start()).ok).toBe(true);
    const url = (app.snapshot().mqtt as { url: string }).url;
    const c = mqtt.connect(url, { protocolVersion: 4 });
    const got: Array<{ topic: string; payload: Record<string, unknown> | string; retain: boolean }> = [];
    c.on('message', (t, p, pkt) => {
      let payload: Record<string, unknown> | string = p.toString();
      try { payload = JSON.parse(payload) as Record<string, unknown>; } catch { /* availability is plain text */ }
      got.push({ topic: t, payload, retain: pkt.retain });
    });
    await new Promise<void>((resolve) => c.once('connect', () => c.subscribe(['homeassistant/#', 'pump/pi-north/#'], { qos: 1 }, () => resolve())));
    try {
      expect(await waitFor(() => got.some((m) => m.topic === 'homeassistant/button/wfe_pi-north/pump_disarm/config'), 10_000)).toBe(true);
      const button = (action: string) => got.find((m) => m.topic === `homeassistant/button/wfe_pi-north/pump_${action}/config`)!.payload as Record<string, string>;
      const state = () => [...got].reverse().find((m) => m.topic === 'pump/pi-north/state')?.payload as { armed: boolean } | undefined;
      const acks = () => got.filter((m) => m.topic === 'pump/pi-north/ack').map((m) => m.payload as { command_id: string; accepted: boolean; action: string });

      // Press "Disarm": the rendered template goes to the button's command_topic.
      const disarm = JSON.parse(renderButtonTemplate(button('disarm').command_template, Date.now() / 1000)) as { id: string };
      c.publish(button('disarm').command_topic, JSON.stringify(disarm), { qos: 1 });
      expect(await waitFor(() => acks().some((a) => a.command_id === disarm.id), 10_000)).toBe(true);
      expect(acks().find((a) => a.command_id === disarm.id)).toMatchObject({ action: 'disarm', accepted: true });
      expect(await waitFor(() => state()?.armed === false, 5000)).toBe(true);

      // The same button of another node (target pi-south): not ours, no ack, nothing changes.
      const other = JSON.parse(renderButtonTemplate(button('arm').command_template.replace('"target":"pi-north"', '"target":"pi-south"'), Date.now() / 1000)) as { id: string };
      c.publish('fire/emergency', JSON.stringify(other), { qos: 1 });
      const arm = JSON.parse(renderButtonTemplate(button('arm').command_template, Date.now() / 1000 + 0.001)) as { id: string };
      c.publish('fire/emergency', JSON.stringify(arm), { qos: 1 });
      expect(await waitFor(() => acks().some((a) => a.command_id === arm.id), 10_000)).toBe(true);
      expect(acks().some((a) => a.command_id === other.id)).toBe(false);
      expect(await waitFor(() => state()?.armed === true, 5000)).toBe(true);
      const m = app.metrics().pump as { commands_for_other_nodes_total: number };
      expect(m.commands_for_other_nodes_total).toBe(1);

      // Home Assistant restarts: its birth message makes the node publish every config again.
      const before = got.filter((x) => x.topic.startsWith('homeassistant/') && x.topic.endsWith('/config')).length;
      const perRound = discoveryMessages(cfg, '0').length;
      c.publish(HA_STATUS_TOPIC, 'online', { qos: 1 });
      expect(await waitFor(() => got.filter((x) => x.topic.startsWith('homeassistant/') && x.topic.endsWith('/config')).length >= before + perRound, 10_000)).toBe(true);
      // ...but not for `offline`.
      const after = got.filter((x) => x.topic.endsWith('/config')).length;
      c.publish(HA_STATUS_TOPIC, 'offline', { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
      expect(got.filter((x) => x.topic.endsWith('/config')).length).toBe(after);
    } finally {
      c.end(true);
      await app.stop('test');
    }
  });
});
