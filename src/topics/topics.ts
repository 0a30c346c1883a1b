/**
 * Topic names of the MQTT contract (docs/topics.md). Builders return topics WITHOUT the site prefix: the
 * MQTT core adds `mqtt.topicPrefix` on the wire and strips it from inbound topics, so parts never
 * see it. `frigate/#` and `homeassistant/#` are never prefixed (they belong to other software).
 */
export const topics = {
  detection: (camera: string) => `fire/detection/${camera}`,
  detectionLegacy: 'fire/detection',
  detectionAll: 'fire/detection/+',
  frigateEvents: 'frigate/events',
  frigateEventsOf: (prefix: string) => `${prefix}/events`,
  frigateAvailableOf: (prefix: string) => `${prefix}/available`,
  trigger: 'fire/trigger',
  emergency: 'fire/emergency',
  consensusState: (node: string) => `consensus/${node}/state`,
  pumpAck: (node: string) => `pump/${node}/ack`,
  /** What a pump did with a trigger (issue 17: end-to-end acknowledgement, consensus re-sends until one arrives). */
  pumpTriggerAck: (node: string) => `pump/${node}/trigger_ack`,
  pumpTriggerAckAll: 'pump/+/trigger_ack',
  pumpState: (node: string) => `pump/${node}/state`,
  pumpEvent: (node: string) => `pump/${node}/event`,
  cameraStatus: (camera: string) => `camera/${camera}/status`,
  cameraStatusAll: 'camera/+/status',
  cameraSnapshot: (camera: string) => `camera/${camera}/snapshot`,
  availability: (node: string) => `system/${node}/availability`,
  availabilityAll: 'system/+/availability',
  connection: (node: string) => `system/${node}/connection`,
  health: (node: string) => `system/${node}/health`,
  telemetry: (node: string) => `system/${node}/telemetry`,
  /** Retained discovery report (issue 16): what the node's discovery found and which configured cameras it follows. */
  discovery: (node: string) => `system/${node}/discovery`,
} as const;

/**
 * Topics that belong to other software and are never prefixed: Home Assistant's, and every Frigate
 * server's (`frigate/`, or a second server's `frigate2/`, `frigate-barn/`: consensus.frigate.topicPrefixes).
 */
export function isForeignTopic(topic: string): boolean {
  return /^frigate[A-Za-z0-9_-]*\//.test(topic) || topic.startsWith('homeassistant/');
}

/**
 * `<camera>` ids: docs/topics.md. `__proto__` is refused: as a key of a parsed config object it would
 * silently vanish (and an allow-list without its only camera accepts every camera).
 */
export const CAMERA_ID_RE = /^(?!__proto__$)[A-Za-z0-9_-]+$/;

/** Node id rule of docs/topics.md: lower-case, every character outside [a-z0-9_-] replaced by `-`. */
export function sanitizeNodeId(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
}
