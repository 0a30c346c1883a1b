import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { createIdSource, stampEnvelope, type IdSource } from '../core/ids.js';
import type { MetricSnapshot } from '../core/metrics.js';
import { systemRandom } from '../core/random.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../log/redact.js';
import { topics } from '../topics/topics.js';
import { fullJitterBackoff } from './backoff.js';
import type { MqttConfig } from './config.js';
import { ConnectionStats } from './core-metrics.js';
import { ConnectionMachine } from './connection-machine.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js';
import { Inbound } from './inbound.js';
import { maxPacketBytes } from './packet-guard.js';
import type { ConnectionListener, ConnectionState, InboundMeta, PayloadParser, PublishOptions } from './link.js';
import { Outbox, type OutboxInput } from './outbox.js';
import { FileOutboxStore } from './outbox-file-store.js';
import { MemoryOutboxStore, type OutboxStore } from './outbox-store.js';
import { Delivery } from './delivery.js';
import { encodePayload, priorityOf, toWire } from './topic-rules.js';
import { WireConnection, type WireOptions } from './wire-client.js';
import { baseWireOptions, readTlsFiles } from './wire-options.js';
import type { MqttCore, MqttCoreOptions, MqttCoreSnapshot } from './core-types.js';

/**
 * The resilient MQTT core (docs/mqtt-core.md): wires the pure state machine and backoff, the durable
 * outbox, inbound dispatch and the mqtt.js wire adapter into one {@link MqttLink}. Sending itself
 * (replay order, in-flight window, last values after replay) lives in `delivery.ts`.
 */

/** Build the core. Nothing happens until `start()`. */
export function createMqttCore(opts: MqttCoreOptions): MqttCore {
  return new MqttCoreImpl(opts);
}

class MqttCoreImpl implements MqttCore {
  readonly nodeId: string;
  private readonly cfg: MqttConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly machine: ConnectionMachine;
  private readonly outbox: Outbox;
  private store: OutboxStore;
  private readonly inbound: Inbound;
  private readonly delivery: Delivery;
  private readonly stats: ConnectionStats;
  private readonly clientId: string;
  // Message ids come from the process's one id source (src/core/ids.ts: `<bootId>-<counter>`,
  // unique across restarts; receivers de-duplicate by id, docs/mqtt-core.md "Delivery").
  private readonly ids: IdSource;
  private wire: { attempt: number; conn: WireConnection } | undefined;
  private wireBase: Omit<WireOptions, 'url' | 'protocolVersion'> | undefined;
  private url: string | undefined;
  private protocolVersion: 4 | 5;
  private embedded: EmbeddedBroker | undefined;
  private listeners: ConnectionListener[] = [];
  private preOpen: OutboxInput[] | undefined = [];
  private startPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private closed = false;
  private attemptsSinceConnected = 0;
  private lastTransitionAt: number;
  private readonly counts = { publishRejected: 0, droppedClosed: 0, droppedBeforeStart: 0, listenerErrors: 0, subscriptionsGranted: 0, subscribeFailures: 0, oversizePackets: 0 };
  private lastOversizeLog = Number.NEGATIVE_INFINITY;
  /**
   * Set when an oversize packet closed the connection: the next attempt starts a clean session.
   * Under 3.1.1 nothing tells the broker our size limit, and a persistent session would hand the
   * same unacknowledged QoS 1 message over on every reconnect: a loop with no end. Discarding the
   * session once drops it (with whatever else was queued, which the loop would never deliver).
   */
  private discardSessionOnce = false;
  private readonly refusalLogMs: number;

  constructor(opts: MqttCoreOptions) {
    this.cfg = opts.config;
    this.nodeId = opts.nodeId;
    this.clientId = `wfe-${opts.nodeId}`;
    this.log = opts.logger.child('mqtt');
    this.clock = opts.clock ?? systemClock;
    this.ids = opts.ids ?? createIdSource();
    this.url = this.cfg.url;
    this.refusalLogMs = opts.refusalLogMs ?? 60_000;
    // MQTT 5 for external brokers (expiry, subscription ids, reason codes); aedes speaks 3.1.1.
    this.protocolVersion = this.cfg.protocolVersion ?? (this.cfg.url ? 5 : 4);
    this.stats = new ConnectionStats(this.clock);
    this.lastTransitionAt = this.clock.now();
    const ob = this.cfg.outbox;
    this.store =
      opts.store ??
      new FileOutboxStore({ dir: join(opts.stateDir, 'outbox'), fsync: ob.fsync, fsyncIntervalMs: ob.fsyncIntervalMs, groupCommitMs: ob.groupCommitMs, segmentBytes: ob.segmentBytes, logger: this.log.child('outbox') });
    this.outbox = new Outbox({ store: this.store, maxMessages: ob.maxMessages, maxBytes: ob.maxBytes, logger: this.log.child('outbox'), clock: this.clock, onReady: () => this.delivery.schedule() });
    this.inbound = new Inbound({
      prefix: this.cfg.topicPrefix,
      maxBytes: this.cfg.maxInboundBytes,
      logger: this.log.child('inbound'),
      clock: this.clock,
      logIntervalMs: this.refusalLogMs,
      addFilter: (f) => this.wireSubscribe([{ filter: f, id: this.inbound.idOf(f) }]),
      removeFilter: (f) => this.wire?.conn.unsubscribe([toWire(this.cfg.topicPrefix, f)]),
    });
    this.delivery = new Delivery({
      outbox: this.outbox,
      clock: this.clock,
      logger: this.log,
      prefix: this.cfg.topicPrefix,
      maxInflight: this.cfg.maxInflight,
      messageExpiry: () => this.protocolVersion === 5,
    });
    this.machine = new ConnectionMachine({
      clock: this.clock,
      backoff: fullJitterBackoff({ baseMs: this.cfg.backoff.baseMs, capMs: this.cfg.backoff.capMs, random: opts.random ?? systemRandom }),
      maxReconnectAttempts: this.cfg.maxReconnectAttempts,
      stopWhenFailed: this.cfg.stopWhenFailed,
      connectTimeoutMs: this.cfg.connectTimeoutSeconds * 1000,
      effects: { connect: (a) => this.openAttempt(a), abort: (a, reason) => this.abortAttempt(a, reason) },
      onListenerError: (err) => this.log.error('connection listener threw', { err }),
    });
    this.machine.onTransition((from, to, reason) => this.onTransition(from, to, reason));
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    const c = this.cfg;
    const tls = await readTlsFiles(c);
    if (!c.verifyHostname) this.log.warn('TLS certificate and hostname verification is OFF (mqtt.verifyHostname: false): the broker is not authenticated');
    if (!this.url) {
      if (c.protocolVersion === 5) this.log.warn('the embedded broker speaks MQTT 3.1.1; using protocol version 4');
      this.protocolVersion = 4;
      this.embedded = await startEmbeddedBroker({ host: c.embedded.host, port: c.embedded.port, logger: this.log, maxPacketBytes: maxPacketBytes(c.maxInboundBytes), logIntervalMs: this.refusalLogMs });
      this.url = this.embedded.url;
    }
    this.wireBase = { ...tls, ...baseWireOptions(c, this.clientId, toWire(c.topicPrefix, topics.availability(this.nodeId))) };
    // The embedded broker lives in this process: nothing of a session would outlive us there.
    if (c.session.persistent && !this.embedded) this.wireBase.sessionExpirySeconds = c.session.expirySeconds;
    try {
      await this.outbox.open();
    } catch (err) {
      // A fire sentinel must still send alarms when its state directory is broken: degrade loudly.
      this.log.error('cannot open the durable outbox; queueing in memory only (messages are lost on restart)', { err });
      this.store = new MemoryOutboxStore();
      this.outbox.replaceStore(this.store);
      await this.outbox.open();
    }
    // Publishes made before start() waited in memory; they go into the outbox after the recovered
    // messages, so seqs stay increasing and the replay order is the publish order.
    const early = this.preOpen ?? [];
    this.preOpen = undefined;
    for (const m of early) this.outbox.add(m);
    if (this.closePromise) return; // close() was called while starting
    this.log.info('mqtt core starting', { url: redactUrl(this.url ?? ''), clientId: this.clientId, protocolVersion: this.protocolVersion, embedded: !!this.embedded, persistentSession: this.wireBase.sessionExpirySeconds !== undefined, queued: this.outbox.depth });
    this.machine.handle({ type: 'start' });
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose().catch((err) => this.log.error('error while closing the mqtt core (ignored)', { err }));
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    // A failed start was already reported to start()'s caller; close must still release what exists.
    await this.startPromise?.catch(() => undefined);
    const deadline = this.clock.now() + this.cfg.closeGraceMs;
    // docs/mqtt-core.md "Shutdown": offline first, then flush for at most the grace period.
    if (this.machine.state === 'CONNECTED' && this.wire) this.delivery.sendRetained(toWire(this.cfg.topicPrefix, topics.availability(this.nodeId)), Buffer.from('offline'), 1);
    await this.delivery.waitDrained(deadline, () => this.machine.state === 'CONNECTED');
    // From here on publishes are counted as dropped: nothing may race the disconnect.
    this.closed = true;
    if (this.machine.state === 'CONNECTED' && this.wire) await this.wire.conn.disconnect(Math.max(100, deadline - this.clock.now()));
    // The machine cancels its timers and aborts any attempt in progress (close racing a reconnect).
    this.machine.handle({ type: 'close', reason: 'close' });
    this.delivery.detach();
    await this.outbox.flush().catch(() => undefined);
    await this.store.close();
    await this.embedded?.close();
    this.log.info('mqtt core closed', { queued: this.outbox.depth });
  }

  flush(): Promise<void> {
    return (this.startPromise ?? Promise.resolve()).then(() => this.outbox.flush());
  }

  // ---- MqttLink --------------------------------------------------------------------------------

  publish(topic: string, payload: string | Buffer | object, opts: PublishOptions): void {
    if (this.closed) {
      this.counts.droppedClosed++;
      return;
    }
    if (!validTopic(topic)) {
      this.counts.publishRejected++;
      this.log.error('publish refused: invalid topic (empty, wildcard or NUL)', { topic });
      return;
    }
    const now = this.clock.wallNow();
    const { buf, id } = encodePayload(payload, stampEnvelope(this.ids, this.nodeId, now));
    if (opts.qos === 0) {
      this.delivery.sendQos0(toWire(this.cfg.topicPrefix, topic), buf); // never queued (docs/mqtt-core.md)
      return;
    }
    const input: OutboxInput = { id, topic, payload: buf, priority: opts.priority ?? priorityOf(topic), createdAt: now };
    if (opts.expirySeconds !== undefined) input.expiresAt = now + opts.expirySeconds * 1000;
    if (!this.preOpen) this.outbox.add(input);
    else if (this.preOpen.length < this.cfg.outbox.maxMessages) this.preOpen.push(input);
    else this.counts.droppedBeforeStart++; // start() never called: bounded like the outbox
  }

  setLastValue(topic: string, payload: string | Buffer | object, opts: { qos?: 0 | 1 } = {}): void {
    if (this.closed || !validTopic(topic)) return;
    const { buf } = encodePayload(payload, stampEnvelope(this.ids, this.nodeId, this.clock.wallNow()));
    this.delivery.setLastValue(toWire(this.cfg.topicPrefix, topic), buf, opts.qos ?? 1);
  }

  subscribe<T>(filter: string, owner: string, parse: PayloadParser<T>, handler: (value: T, meta: InboundMeta) => void): () => void {
    return this.inbound.add(filter, owner, parse, handler);
  }

  unsubscribeOwner(owner: string): void {
    this.inbound.removeOwner(owner);
  }

  connectionState(): ConnectionState {
    return this.machine.state;
  }

  onConnectionState(listener: ConnectionListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  // ---- observability ---------------------------------------------------------------------------

  /** Flat counters and gauges (src/http renders them as Prometheus text; names in README.md). */
  metrics(): MetricSnapshot {
    const st = this.store.stats();
    return {
      ...this.stats.snapshot(),
      consecutive_failures: this.machine.consecutiveFailures,
      ...this.delivery.metrics(),
      outbox_depth: this.outbox.depth,
      outbox_bytes: this.outbox.bytes,
      outbox_inflight: this.outbox.inflightCount,
      outbox_queued_total: this.outbox.counts.queued,
      outbox_acked_total: this.outbox.counts.acked,
      outbox_recovered: this.outbox.counts.recovered,
      outbox_dropped_total: { ...this.outbox.dropped },
      outbox_write_errors_total: st.writeErrors,
      outbox_segments: st.segments,
      outbox_disk_bytes: st.diskBytes,
      outbox_fsyncs_total: st.fsyncs,
      outbox_torn_records_total: st.tornRecords,
      received_total: this.inbound.counts.received,
      delivered_total: this.inbound.counts.delivered,
      rejected_total: { ...this.inbound.rejected },
      handler_errors_total: this.inbound.counts.handlerErrors,
      inbound_duplicate_copies_total: this.inbound.counts.duplicateCopies,
      publish_refused_total: this.counts.publishRejected,
      dropped_after_close_total: this.counts.droppedClosed,
      dropped_before_start_total: this.counts.droppedBeforeStart,
      listener_errors_total: this.counts.listenerErrors,
      subscriptions_granted_total: this.counts.subscriptionsGranted,
      subscribe_failures_total: this.counts.subscribeFailures,
      inbound_oversize_packets_total: this.counts.oversizePackets,
      ...(this.embedded ? { embedded_broker_oversize_packets_total: this.embedded.oversizePackets() } : {}),
    };
  }

  /** For the status page: no secrets (URL credentials redacted). */
  snapshot(): MqttCoreSnapshot {
    return {
      state: this.machine.state,
      stateSeconds: this.stats.stateSeconds(),
      url: redactUrl(this.url ?? '(embedded, not started)'),
      embedded: !this.cfg.url,
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      consecutiveFailures: this.machine.consecutiveFailures,
      outbox: { depth: this.outbox.depth, bytes: this.outbox.bytes, inflight: this.outbox.inflightCount, writeError: this.store.stats().lastWriteError ?? null },
      lastError: this.stats.lastError?.reason ?? null,
    };
  }

  // ---- connection ------------------------------------------------------------------------------

  /** Effect of the machine: one fresh mqtt.js connection per attempt (no mqtt.js reconnect). */
  private openAttempt(attempt: number): void {
    this.attemptsSinceConnected++;
    const opts: WireOptions = { ...this.wireBase!, url: this.url!, protocolVersion: this.protocolVersion };
    if (this.discardSessionOnce && opts.sessionExpirySeconds !== undefined) {
      this.discardSessionOnce = false;
      // MQTT 5 brokers honour our Maximum Packet Size, so this is the 3.1.1 case; under MQTT 5 a
      // clean start with expiry keeps the session from here on, under 3.1.1 the next attempt does.
      if (this.protocolVersion === 4) delete opts.sessionExpirySeconds;
      this.log.warn('starting a clean MQTT session: the broker kept re-sending an oversize message in the persistent one; messages queued for this node while it was away are dropped with it', {});
    }
    const conn = new WireConnection(opts, {
      connack: () => this.machine.handle({ type: 'connack', attempt }),
      failed: (reason, code) => {
        this.stats.failure(code, reason);
        this.log.warn('connect attempt failed', { attempt: this.machine.consecutiveFailures + 1, reason, code, url: redactUrl(this.url ?? '') });
        this.machine.handle({ type: 'attemptFailed', attempt, reason });
      },
      closed: (reason) => this.machine.handle({ type: 'lost', attempt, reason }),
      message: (topic, payload, retained, subIds) => this.inbound.dispatch(topic, payload, retained, this.clock.wallNow(), subIds),
      oversize: (bytes) => {
        this.counts.oversizePackets++;
        this.discardSessionOnce = true;
        const now = this.clock.now();
        if (now - this.lastOversizeLog < this.refusalLogMs) return;
        this.lastOversizeLog = now;
        this.log.warn('inbound packet larger than the cap: closed the connection before buffering it (it reconnects); a publisher is sending oversize messages', {
          declaredBytes: bytes,
          capBytes: maxPacketBytes(this.cfg.maxInboundBytes),
          protocolVersion: this.protocolVersion,
          total: this.counts.oversizePackets,
          fix: 'find the publisher, or raise mqtt.maxInboundBytes',
        });
      },
    });
    this.wire = { attempt, conn };
  }

  private abortAttempt(attempt: number, reason: string): void {
    if (this.wire?.attempt !== attempt) return;
    if (reason === 'connect timeout') {
      this.stats.failure('connect_timeout', `no CONNACK within ${this.cfg.connectTimeoutSeconds} s`);
      this.log.warn('connect attempt timed out', { timeoutSeconds: this.cfg.connectTimeoutSeconds });
    }
    this.wire.conn.abort();
    this.wire = undefined;
  }

  private wireSubscribe(filters: Array<{ filter: string; id: number }>): void {
    const w = this.wire;
    if (!w || this.machine.state !== 'CONNECTED') return; // subscribed on the next CONNACK
    const onWire = filters.map((f) => ({ filter: toWire(this.cfg.topicPrefix, f.filter), id: f.id }));
    w.conn.subscribe(onWire, this.protocolVersion === 5, (error, granted) => {
      // Granted filters are counted so an operator (and a test) can see the node actually listens,
      // not just that it is connected: between CONNACK and SUBACK inbound messages are not routed.
      this.counts.subscriptionsGranted += granted;
      if (!error) return;
      this.counts.subscribeFailures++;
      this.log.error('subscribe failed', { filters: filters.map((f) => f.filter), reason: error });
    });
  }

  /**
   * Every transition: metrics, one log line (FAILED at error level: it must be loud), connection
   * events into the outbox, and on CONNECTED the connect sequence of docs/mqtt-core.md.
   */
  private onTransition(from: ConnectionState, to: ConnectionState, reason: string): void {
    const now = this.clock.now();
    const previousMs = Math.round(now - this.lastTransitionAt);
    this.lastTransitionAt = now;
    this.stats.transition(to);
    const fields = { from, to, reason, previousStateMs: previousMs };
    if (to === 'FAILED') this.log.error('mqtt link FAILED: broker unreachable after the configured attempts; ' + (this.cfg.stopWhenFailed ? 'stopped (mqtt.stopWhenFailed)' : 'still probing at the backoff cap'), { ...fields, attempts: this.machine.consecutiveFailures });
    else if (to === 'CONNECTED' || from === 'CONNECTED') this.log.info(`mqtt ${to.toLowerCase()}`, fields);
    else this.log.debug('mqtt transition', fields);

    if (from === 'CONNECTED') {
      this.delivery.detach(); // stop sending at once: never publish on a half-open connection
      this.outbox.requeueInflight();
      if (to !== 'DISCONNECTED') this.queueEvent('disconnected', reason, 0, previousMs); // sent after reconnecting, original ts
    }
    if (to === 'FAILED') this.queueEvent('failed', reason, this.machine.consecutiveFailures, previousMs);
    if (to === 'CONNECTED' && this.wire) {
      const attempts = this.attemptsSinceConnected;
      this.attemptsSinceConnected = 0;
      this.wireSubscribe(this.inbound.filters());
      this.delivery.attach(this.wire.conn);
      // docs/mqtt-core.md: `online` retained on every connect; then the connection event, then replay.
      this.delivery.sendRetained(toWire(this.cfg.topicPrefix, topics.availability(this.nodeId)), Buffer.from('online'), 1);
      this.queueEvent('connected', from === 'CONNECTING' ? 'start' : 'reconnected', attempts, previousMs);
      this.delivery.startReplay();
    }
    for (const l of [...this.listeners]) {
      try {
        l(from, to, reason);
      } catch (err) {
        this.counts.listenerErrors++;
        this.log.error('connection state listener threw', { err });
      }
    }
  }

  private queueEvent(event: 'connected' | 'disconnected' | 'failed', reason: string, attempts: number, previousMs: number): void {
    if (this.closed) return;
    this.publish(topics.connection(this.nodeId), { event, reason, attempts, previous_state_ms: previousMs }, { qos: 1, priority: 3 });
  }
}

/** A topic we may publish to: non-empty, within MQTT's length limit, no wildcard, no NUL. */
function validTopic(t: string): boolean {
  return t.length > 0 && t.length < 65536 && !/[+#\u0000]/.test(t);
}
