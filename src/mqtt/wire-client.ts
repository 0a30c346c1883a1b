import { connect, ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt';
import { guardInboundPackets } from './packet-guard.js';

/**
 * The only file that imports mqtt.js (docs/style.md rule 4). One {@link WireConnection} is ONE
 * connection attempt: mqtt.js's own reconnect is off (`reconnectPeriod: 0`) and the connection
 * state machine creates a fresh one per attempt, so there is exactly one owner of reconnection
 * (docs/mqtt-core.md). No library object leaks out of this file.
 */

/** What a connection reports; called at most once each for connack/failed/closed. */
export interface WireEvents {
  /** CONNACK with success. */
  connack(): void;
  /** The attempt failed before CONNACK; `code` is a short metric label (`connack_134`, `econnrefused`, `tls`...). */
  failed(reason: string, code: string): void;
  /** The connection closed after CONNACK (keepalive timeout, broker gone, socket error). */
  closed(reason: string): void;
  /** An inbound PUBLISH. */
  message(topic: string, payload: Buffer, retained: boolean, subIds: number[] | undefined): void;
  /** An inbound packet declared larger than `maxPacketBytes`: the connection is closed before its body is buffered. */
  oversize?(declaredBytes: number): void;
}

/** Connection parameters (secrets included; never log this object). */
export interface WireOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  protocolVersion: 4 | 5;
  keepaliveSeconds: number;
  connectTimeoutMs: number;
  will: { topic: string; payload: string; qos: 1; retain: true };
  /** Cap on one inbound packet (whole packet); advertised as Maximum Packet Size under MQTT 5, enforced at the socket always. */
  maxPacketBytes: number;
  /**
   * Persistent session: the broker keeps the subscriptions and queues QoS 1 messages while this
   * client is away (MQTT 5: cleanStart false + this expiry in seconds; 3.1.1: clean false).
   * Absent: a clean session.
   */
  sessionExpirySeconds?: number;
}

/** Outcome of a QoS 1 publish: acknowledged, refused by the broker (reason code), or connection lost. */
export type PublishOutcome = { kind: 'acked' } | { kind: 'refused'; code: number; reason: string } | { kind: 'lost' };

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version', 2: 'identifier rejected', 3: 'server unavailable', 4: 'bad user name or password', 5: 'not authorized',
  128: 'unspecified error', 133: 'client identifier not valid', 134: 'bad user name or password', 135: 'not authorized', 136: 'server unavailable',
  137: 'server busy', 138: 'banned', 140: 'bad authentication method', 149: 'packet too large', 151: 'quota exceeded', 156: 'use another server', 159: 'connection rate exceeded',
};

/** Classify an error into a human reason and a bounded metric label. */
export function classifyError(err: unknown): { reason: string; code: string } {
  if (err instanceof ErrorWithReasonCode) {
    const text = CONNACK_REASONS[err.code] ?? err.message;
    return { reason: `broker refused the connection: ${text} (CONNACK code ${err.code})`, code: `connack_${err.code}` };
  }
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : '';
  const msg = e instanceof Error ? e.message : String(err);
  if (/certificate|self.signed|ssl|tls|altname|hostname|UNABLE_TO|CERT_|ERR_SSL/i.test(code + ' ' + msg)) return { reason: `TLS: ${msg}`, code: 'tls' };
  if (code) return { reason: msg, code: code.toLowerCase() };
  return { reason: msg, code: 'error' };
}

/** One MQTT connection attempt and, after CONNACK, the connection itself. */
export class WireConnection {
  private client: MqttClient;
  private connected = false;
  private done = false;
  /** The broker's Receive Maximum from CONNACK (MQTT 5; 65535 when not given, as the spec says). */
  receiveMaximum = 65_535;

  constructor(opts: WireOptions, private readonly ev: WireEvents) {
    const o: IClientOptions = {
      clientId: opts.clientId,
      username: opts.username,
      password: opts.password,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      rejectUnauthorized: opts.rejectUnauthorized,
      protocolVersion: opts.protocolVersion,
      keepalive: opts.keepaliveSeconds,
      connectTimeout: opts.connectTimeoutMs,
      // Our outbox owns outbound durability and our state machine owns reconnection (docs/mqtt-core.md):
      // no mqtt.js reconnect, no mqtt.js offline queue. Inbound durability is the broker's: with a
      // persistent session it queues what arrives for us while our link is down (issue 17).
      clean: opts.sessionExpirySeconds === undefined,
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      will: opts.will,
      // MQTT 5: a compliant broker never sends a packet above this (it drops the message for us).
      ...(opts.protocolVersion === 5
        ? { properties: { maximumPacketSize: opts.maxPacketBytes, ...(opts.sessionExpirySeconds !== undefined ? { sessionExpiryInterval: opts.sessionExpirySeconds } : {}) } }
        : {}),
    };
    this.client = connect(opts.url, o);
    // mqtt.js buffers a whole packet before looking at it: watch the declared sizes on the socket
    // itself (mqtt.js creates it synchronously in connect) and close before a huge body arrives.
    const stream = this.client.stream as Parameters<typeof guardInboundPackets>[0] | undefined;
    if (stream) {
      guardInboundPackets(stream, opts.maxPacketBytes, (size) => {
        this.ev.oversize?.(size);
        const err = Object.assign(new Error(`inbound packet of ${size} bytes exceeds the cap of ${opts.maxPacketBytes} bytes (mqtt.maxInboundBytes + headroom); connection closed before buffering it`), { code: 'packet_too_large' });
        this.end(err);
      });
    }
    this.client.on('connect', (connack) => {
      if (this.done) return;
      // MQTT 5: the broker's Receive Maximum bounds our unacknowledged QoS 1 publishes. mqtt.js
      // does not enforce it; exceeding it made Mosquitto 2.0 acknowledge publishes of a resumed
      // persistent session without delivering them (test/mqtt/concurrency.test.ts lost ~180 of
      // 1500 messages about one run in three).
      const rm = connack?.properties?.receiveMaximum;
      if (typeof rm === 'number' && rm > 0) this.receiveMaximum = rm;
      this.connected = true;
      this.ev.connack();
    });
    this.client.on('error', (err) => this.end(err));
    this.client.on('close', () => this.end(new Error('connection closed')));
    this.client.on('message', (topic, payload, packet) => {
      const sid = packet.properties?.subscriptionIdentifier;
      const subIds = sid === undefined ? undefined : Array.isArray(sid) ? sid : [sid];
      if (this.connected && !this.done) this.ev.message(topic, payload, packet.retain === true, subIds);
    });
  }

  /** First terminal event wins; after it this connection reports nothing more and is torn down. */
  private end(err: unknown): void {
    if (this.done) return;
    this.done = true;
    const c = classifyError(err);
    if (this.connected) this.ev.closed(c.reason);
    else this.ev.failed(c.reason, c.code);
    this.client.end(true);
  }

  /** True while CONNACKed and not closed: the only time anything may be written. */
  get usable(): boolean {
    return this.connected && !this.done && this.client.connected;
  }

  /** QoS 1 publish; `done` gets the outcome (lost when the connection goes first). */
  publish1(topic: string, payload: Buffer, retain: boolean, expirySeconds: number | undefined, done: (o: PublishOutcome) => void): void {
    const properties = expirySeconds !== undefined ? { messageExpiryInterval: expirySeconds } : undefined;
    this.client.publish(topic, payload, { qos: 1, retain, properties }, (err) => {
      if (!err) done({ kind: 'acked' });
      else if (err instanceof ErrorWithReasonCode) done({ kind: 'refused', code: err.code, reason: err.message });
      else done({ kind: 'lost' });
    });
  }

  /** Run `fn` with the socket corked, so the packets it writes leave in one write (fewer syscalls). */
  batch(fn: () => void): void {
    const stream = this.client.stream as { cork?: () => void; uncork?: () => void } | undefined;
    stream?.cork?.();
    try {
      fn();
    } finally {
      stream?.uncork?.();
    }
  }

  /** QoS 0 publish (fire and forget). */
  publish0(topic: string, payload: Buffer, retain: boolean): void {
    this.client.publish(topic, payload, { qos: 0, retain });
  }

  /**
   * Subscribe at QoS 1; `done(error, granted)` per SUBACK: a reason when the broker refuses, and
   * how many filters it granted. Under MQTT 5 each filter gets its own SUBSCRIBE carrying its
   * subscription identifier.
   */
  subscribe(filters: Array<{ filter: string; id: number }>, v5: boolean, done: (error: string | undefined, granted: number) => void): void {
    const cb = (err: Error | null, granted?: Array<{ topic: string; qos: number }>) => {
      if (err) return done(classifyError(err).reason, 0);
      const refused = (granted ?? []).filter((g) => g.qos >= 128).map((g) => g.topic);
      done(refused.length ? `subscription refused for ${refused.join(', ')}` : undefined, (granted ?? []).length - refused.length);
    };
    if (!filters.length) return done(undefined, 0);
    if (!v5) return void this.client.subscribe(filters.map((f) => f.filter), { qos: 1 }, cb);
    for (const f of filters) this.client.subscribe(f.filter, { qos: 1, properties: { subscriptionIdentifier: f.id } }, cb);
  }

  /** Unsubscribe (best effort). */
  unsubscribe(filters: string[]): void {
    if (filters.length && this.usable) this.client.unsubscribe(filters);
  }

  /** Clean DISCONNECT (no will) when connected, then close; resolves within `timeoutMs`. */
  async disconnect(timeoutMs: number): Promise<void> {
    const wasUsable = this.usable;
    this.done = true;
    if (!wasUsable) {
      this.client.end(true);
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.forceClose();
        resolve();
      }, timeoutMs);
      this.client.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Drop the connection now (no DISCONNECT packet: the broker publishes our will). */
  abort(): void {
    this.done = true;
    this.forceClose();
  }

  /**
   * end(true), and destroy the socket too: while a graceful end(false) waits for PUBACKs that never
   * come, mqtt.js ignores a second end() ("already disconnecting") and would keep the socket open
   * and keep pinging after close.
   */
  private forceClose(): void {
    this.client.end(true);
    (this.client as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
}
