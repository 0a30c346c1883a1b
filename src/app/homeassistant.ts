import type { AppConfig } from '../config/index.js';
import { ok } from '../core/result.js';
import type { MqttLink } from '../mqtt/link.js';
import { topics } from '../topics/topics.js';
import type { AppPart } from './part.js';

/** One Home Assistant discovery message: its config topic and retained payload. */
export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * Home Assistant MQTT discovery (`homeassistant.discovery: true`; TOPICS.md `homeassistant/...`,
 * QoS 1, retained). Entities read the node's own retained state topics, so nothing new is
 * published for them: node health, pump state and main valve (pump role), consensus state
 * (consensus role), and each camera's status (camera role). State topics carry the site prefix;
 * discovery topics never do (they belong to Home Assistant). Pure: returns the messages.
 */
export function discoveryMessages(config: AppConfig, version: string): DiscoveryMessage[] {
  const node = config.node.id;
  const p = config.mqtt.topicPrefix ?? '';
  const device = { identifiers: [`wildfire-edge-${node}`], name: `wildfire-edge ${node}`, manufacturer: 'wildfire-edge', model: config.roles.join('+'), sw_version: version };
  const base = (id: string, name: string, stateTopic: string, valueTemplate: string) => ({
    unique_id: `wfe_${node}_${id}`,
    object_id: `wfe_${node}_${id}`,
    name,
    state_topic: p + stateTopic,
    value_template: valueTemplate,
    availability_topic: p + topics.availability(node),
    payload_available: 'online',
    payload_not_available: 'offline',
    device,
  });
  const out: DiscoveryMessage[] = [
    { topic: `homeassistant/sensor/wfe_${node}/health/config`, payload: { ...base('health', 'Health', topics.health(node), '{{ value_json.status }}'), icon: 'mdi:heart-pulse' } },
  ];
  if (config.roles.includes('pump')) {
    out.push(
      { topic: `homeassistant/sensor/wfe_${node}/pump_state/config`, payload: { ...base('pump_state', 'Pump state', topics.pumpState(node), '{{ value_json.state }}'), icon: 'mdi:water-pump' } },
      {
        topic: `homeassistant/binary_sensor/wfe_${node}/main_valve/config`,
        payload: { ...base('main_valve', 'Main valve', topics.pumpState(node), "{{ 'ON' if value_json.outputs.mainValve else 'OFF' }}"), payload_on: 'ON', payload_off: 'OFF', icon: 'mdi:valve' },
      },
    );
  }
  if (config.roles.includes('consensus')) {
    out.push({ topic: `homeassistant/sensor/wfe_${node}/consensus/config`, payload: { ...base('consensus', 'Fire consensus', topics.consensusState(node), '{{ value_json.state }}'), icon: 'mdi:fire-alert' } });
  }
  if (config.roles.includes('camera')) {
    for (const c of config.cameras) {
      out.push({
        topic: `homeassistant/sensor/wfe_${node}/camera_${c.id}/config`,
        payload: { ...base(`camera_${c.id}`, `Camera ${c.id}`, topics.cameraStatus(c.id), '{{ value_json.status }}'), icon: 'mdi:cctv' },
      });
    }
  }
  return out;
}

/** The discovery part: publishes the retained configs once the link exists (re-sent after reconnects). */
export function wireHomeAssistant(config: AppConfig, link: MqttLink, version: string): AppPart {
  return {
    name: 'homeassistant',
    critical: false,
    async start() {
      // Last-value topics: retained, bypass the outbox, republished by the core after a reconnect.
      for (const m of discoveryMessages(config, version)) link.setLastValue(m.topic, m.payload, { qos: 1 });
      return ok(undefined);
    },
    async stop() {
      // Left retained on purpose: the entities stay known and show `offline` via availability.
    },
  };
}
