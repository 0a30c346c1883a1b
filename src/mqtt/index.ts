/**
 * The MQTT part's public surface: the only module other folders import (docs/style.md rule 1).
 * Parts depend on {@link MqttLink}; main.ts builds the core with {@link createMqttCore}.
 */
export type { MqttLink, ConnectionState, ConnectionListener, PublishOptions, InboundMeta, PayloadParser, Priority } from './link.js';
export { createMqttCore } from './mqtt-core.js';
export type { MqttCore, MqttCoreOptions, MqttCoreSnapshot } from './core-types.js';
export { mqttConfigSchema, topicPrefixSchema, type MqttConfig, type OutboxConfig } from './config.js';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
export { jsonParser, priorityOf, topicMatches } from './topic-rules.js';
export { fullJitterBackoff, type Backoff, type BackoffOptions } from './backoff.js';
export { MemoryOutboxStore, memoryBacking, type OutboxStore, type OutboxRecord } from './outbox-store.js';
export { guardedLink } from './guarded-link.js';
export { createMqttPart, type MqttPart } from './part.js';
