import type { Result } from '../core/result.js';

/**
 * The contract every part uses to talk to the site (docs/mqtt-core.md). Parts depend on this interface,
 * never on mqtt.js; the resilient client in this folder implements it, and tests use a fake.
 */

/** Connection states of the MQTT core state machine. */
export type ConnectionState = 'DISCONNECTED' | 'CONNECTING' | 'CONNECTED' | 'RECONNECTING' | 'FAILED';

/** Listener for state transitions: called exactly once per transition. */
export type ConnectionListener = (from: ConnectionState, to: ConnectionState, reason: string) => void;

/** Outbox priority (docs/mqtt-core.md "Delivery"): 1 kept longest (triggers, pump events/acks), 3 dropped first. */
export type Priority = 1 | 2 | 3;

/** How to publish one message. */
export interface PublishOptions {
  /** 1: durable outbox (write-ahead, delivered after outages, in order). 0: best effort, never queued. */
  qos: 0 | 1;
  /** Outbox priority when full; default derived from the topic (trigger/pump events 1, detections 2, else 3). */
  priority?: Priority;
  /** MQTT 5 message-expiry interval for commands that start hardware, where the broker speaks v5. */
  expirySeconds?: number;
}

/** Metadata of an inbound message handed to a subscription handler. */
export interface InboundMeta {
  /** Topic without the site prefix. */
  topic: string;
  /** True when the broker delivered it as a retained message. */
  retained: boolean;
  /** Wall-clock epoch ms of arrival. */
  receivedAt: number;
}

/** Parses and validates one payload; runs after the core's size check. */
export type PayloadParser<T> = (payload: Buffer, topic: string) => Result<T>;

/** The MQTT link as the parts see it. Topics here never include `mqtt.topicPrefix`. */
export interface MqttLink {
  /** This node's id (`<node>` in topics). */
  readonly nodeId: string;
  /**
   * Publish a non-retained message. QoS 1 goes through the durable outbox (never lost while the
   * broker is down); QoS 0 is sent when connected and otherwise dropped and counted. Objects are
   * JSON-encoded. Never throws.
   */
  publish(topic: string, payload: string | Buffer | object, opts: PublishOptions): void;
  /**
   * Set a retained last-value topic (availability, states, status, health): published now when
   * connected, and once more with its current value after every reconnect, after the outbox replay.
   * Bypasses the outbox (docs/topics.md "Presence and last-value topics").
   */
  setLastValue(topic: string, payload: string | Buffer | object, opts?: { qos?: 0 | 1 }): void;
  /**
   * Subscribe `owner` to `filter` (MQTT wildcards allowed). Payloads are size-checked, then parsed;
   * a rejected payload is logged and counted and never reaches `handler`. A throwing handler is
   * isolated from other topics. Returns an unsubscribe function.
   */
  subscribe<T>(filter: string, owner: string, parse: PayloadParser<T>, handler: (value: T, meta: InboundMeta) => void): () => void;
  /** Remove every subscription of `owner` (a part's stop()). */
  unsubscribeOwner(owner: string): void;
  /** Current connection state. */
  connectionState(): ConnectionState;
  /** Listen to state transitions; returns an unsubscribe function. */
  onConnectionState(listener: ConnectionListener): () => void;
}
