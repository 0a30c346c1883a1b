import type { AppConfig } from '../config/index.js';
import { ok } from '../core/result.js';
import type { MqttLink } from '../mqtt/link.js';
import { topics } from '../topics/topics.js';
import type { Part } from '../core/part.js';

/** One Home Assistant discovery message: its config topic and retained payload. */
export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/** Home Assistant's birth topic: `online` when HA (re)starts, so discovery is published again. */
export const HA_STATUS_TOPIC = 'homeassistant/status';

/** Operator actions offered as buttons. Never `start`: a remote start is not a button (docs/pump.md). */
export const HA_BUTTON_ACTIONS = ['stop', 'disarm', 'arm', 'reset'] as const;

const BUTTON_NAMES: Record<(typeof HA_BUTTON_ACTIONS)[number], [string, string]> = {
  stop: ['Stop pump', 'mdi:stop-circle'],
  disarm: ['Disarm pump', 'mdi:shield-off'],
  arm: ['Arm pump', 'mdi:shield-check'],
  reset: ['Reset pump error', 'mdi:restart-alert'],
};

/**
 * Home Assistant MQTT discovery (`homeassistant.discovery: true`; docs/topics.md `homeassistant/...`,
 * QoS 1, retained). Entities read the node's own retained state topics and its health/telemetry,
 * so nothing new is published for them. Buttons publish a `fire/emergency` command that targets
 * this node, with a fresh id and ts from HA's template engine, so it passes the pump's usual
 * duplicate/expiry checks and is acknowledged on `pump/<node>/ack`.
 *
 * Every entity is unavailable when the node's `system/<node>/availability` says `offline` (its Last
 * Will), so a dead node never shows a camera `online` or a pump `RUNNING`. State topics carry the
 * site prefix; discovery topics never do (they belong to Home Assistant). Pure: returns the messages.
 */
export function discoveryMessages(config: AppConfig, version: string): DiscoveryMessage[] {
  const node = config.node.id;
  const p = config.mqtt.topicPrefix ?? '';
  const device = { identifiers: [`wildfire-edge-${node}`], name: `wildfire-edge ${node}`, manufacturer: 'wildfire-edge', model: config.roles.join('+'), sw_version: version };
  const origin = { name: 'wildfire-edge', sw_version: version };
  const out: DiscoveryMessage[] = [];
  const add = (platform: string, id: string, name: string, fields: Record<string, unknown>): void => {
    const objectId = `wfe_${node}_${id}`.replace(/-/g, '_');
    out.push({
      topic: `homeassistant/${platform}/wfe_${node}/${id}/config`,
      payload: {
        unique_id: `wfe_${node}_${id}`,
        // HA 2026.4+ reads default_entity_id (object_id is ignored): the entity id HA proposes.
        default_entity_id: `${platform}.${objectId}`,
        name,
        availability: [{ topic: p + topics.availability(node), payload_available: 'online', payload_not_available: 'offline' }],
        device,
        origin,
        ...fields,
      },
    });
  };
  const sensor = (stateTopic: string, valueTemplate: string, extra: Record<string, unknown> = {}) => ({ state_topic: p + stateTopic, value_template: valueTemplate, ...extra });
  const binary = (stateTopic: string, condition: string, extra: Record<string, unknown> = {}) =>
    sensor(stateTopic, `{{ 'ON' if (${condition}) else 'OFF' }}`, { payload_on: 'ON', payload_off: 'OFF', ...extra });

  add('sensor', 'health', 'Health', sensor(topics.health(node), '{{ value_json.status }}', { icon: 'mdi:heart-pulse', json_attributes_topic: p + topics.health(node), json_attributes_template: '{{ {"problems": value_json.problems | map(attribute="message") | list} | tojson }}' }));
  add('sensor', 'outbox_depth', 'MQTT outbox depth', sensor(topics.health(node), '{{ value_json.mqtt.outbox_depth if value_json.mqtt else none }}', { state_class: 'measurement', unit_of_measurement: 'messages', icon: 'mdi:tray-full', entity_category: 'diagnostic' }));
  add('sensor', 'cpu_temperature', 'CPU temperature', sensor(topics.telemetry(node), '{{ value_json.cpu_temp_c }}', { device_class: 'temperature', state_class: 'measurement', unit_of_measurement: '°C', entity_category: 'diagnostic' }));
  add('binary_sensor', 'throttled', 'CPU throttled', binary(topics.telemetry(node), "value_json.throttled and value_json.throttled.now | length > 0", { device_class: 'problem', entity_category: 'diagnostic' }));

  if (config.roles.includes('pump')) {
    const st = topics.pumpState(node);
    add('sensor', 'pump_state', 'Pump state', sensor(st, '{{ value_json.state }}', { icon: 'mdi:water-pump' }));
    add('binary_sensor', 'pump_running', 'Pump running', binary(st, "value_json.state in ['RUNNING', 'REDUCING_RPM']", { device_class: 'running' }));
    add('binary_sensor', 'main_valve', 'Main valve', binary(st, 'value_json.outputs.mainValve', { device_class: 'opening', icon: 'mdi:valve' }));
    add('binary_sensor', 'pump_error', 'Pump error', binary(st, "value_json.state == 'ERROR'", { device_class: 'problem', json_attributes_topic: p + st, json_attributes_template: '{{ {"error": value_json.error} | tojson }}' }));
    add('binary_sensor', 'pump_armed', 'Pump armed', binary(st, 'value_json.armed', { icon: 'mdi:shield-check' }));
    if (config.homeassistant.buttons) {
      for (const action of HA_BUTTON_ACTIONS) {
        const [name, icon] = BUTTON_NAMES[action];
        add('button', `pump_${action}`, name, {
          command_topic: p + topics.emergency,
          // A fresh id (de-duplication, the ack names it) and ts (expiry) on every press.
          command_template: `{"action":"${action}","target":"${node}","id":"ha-{{ now().timestamp() | int }}-{{ range(1000000) | random }}","ts":{{ now().timestamp() }},"source":"homeassistant"}`,
          qos: 1,
          retain: false,
          icon,
        });
      }
    }
  }
  if (config.roles.includes('consensus')) {
    const st = topics.consensusState(node);
    add('sensor', 'consensus', 'Fire consensus', sensor(st, '{{ value_json.state }}', { icon: 'mdi:fire-alert' }));
    add('binary_sensor', 'fire_confirmed', 'Fire confirmed', binary(st, "value_json.state == 'triggered'", { device_class: 'smoke', icon: 'mdi:fire' }));
  }
  if (config.roles.includes('camera')) {
    for (const c of config.cameras) {
      add('sensor', `camera_${c.id}`, `Camera ${c.id}`, sensor(topics.cameraStatus(c.id), '{{ value_json.status }}', { icon: 'mdi:cctv' }));
      if (config.detect.snapshot.enabled) {
        add('image', `camera_${c.id}_snapshot`, `Camera ${c.id} snapshot`, { image_topic: p + topics.cameraSnapshot(c.id), content_type: 'image/jpeg' });
      }
    }
  }
  return out;
}

/**
 * The discovery part: publishes the retained configs once the link exists (re-sent after our
 * reconnects by the core) and again whenever Home Assistant announces `online` on its birth topic,
 * so a Home Assistant restarted with a broker that lost its retained messages finds the node again.
 */
export function createHomeAssistantPart(config: AppConfig, link: MqttLink, version: string): Part<null> {
  const OWNER = 'homeassistant';
  const publishAll = (): void => {
    for (const m of discoveryMessages(config, version)) link.setLastValue(m.topic, m.payload, { qos: 1 });
  };
  return {
    name: 'homeassistant',
    critical: false,
    async start() {
      publishAll();
      link.subscribe(HA_STATUS_TOPIC, OWNER, (payload) => ok(payload.toString('utf8').trim()), (status, meta) => {
        // The retained copy arrives on every subscribe: only a live birth message means HA restarted.
        if (status === 'online' && !meta.retained) publishAll();
      });
      return ok(undefined);
    },
    async stop() {
      link.unsubscribeOwner(OWNER);
      // Configs stay retained on purpose: the entities stay known and show unavailable via the will.
    },
    // Nothing to show: the configs are retained on the broker, Home Assistant shows the entities.
    status: () => null,
  };
}
