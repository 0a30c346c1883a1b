import { chmodSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { freePort, TestMosquitto } from '../helpers/mosquitto.js';
import type { Clock } from '../../src/core/clock.js';
import { memoryLogger, silentLogger, type Logger } from '../../src/log/logger.js';
import { createMqttCore, mqttConfigSchema, type MqttCore } from '../../src/mqtt/index.js';

/** Config with test-sized intervals (seconds, not minutes). */
export function testConfig(over: Record<string, unknown> = {}) {
  return mqttConfigSchema.parse({
    backoff: { baseMs: 50, capMs: 300 },
    connectTimeoutSeconds: 2,
    keepaliveSeconds: 5,
    closeGraceMs: 2000,
    maxReconnectAttempts: 0,
    ...over,
  });
}

/**
 * A Mosquitto that saves its state on every change, so the observer's persistent session and
 * subscription survive even a SIGKILL of the broker: the tests check OUR delivery, not
 * Mosquitto's persistence window.
 */
export function persistentBroker(): TestMosquitto {
  const b = new TestMosquitto({ extraConfig: 'autosave_interval 1\nautosave_on_changes true' });
  // Mosquitto started as root drops to the `mosquitto` user, which must be able to write its store.
  chmodSync(b.dir, 0o777);
  return b;
}

/** A fresh state directory. */
export function tempDir(prefix = 'wfe-mqtt-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A core on `url` with test settings. */
export function makeCore(o: { url?: string; nodeId?: string; stateDir?: string; logger?: Logger; config?: Record<string, unknown>; clock?: Clock }): MqttCore {
  return createMqttCore({
    clock: o.clock,
    config: testConfig({ ...(o.url ? { url: o.url } : {}), ...o.config }),
    nodeId: o.nodeId ?? 'node-a',
    stateDir: o.stateDir ?? tempDir(),
    logger: o.logger ?? silentLogger(),
  });
}

/** Poll `pred` every 10 ms until true; rejects with `what` after `timeoutMs`. */
export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One received message. */
export interface Got {
  topic: string;
  text: string;
  retain: boolean;
  json?: Record<string, unknown>;
  /** MQTT 5 message-expiry interval, when present. */
  expiry?: number;
}

/**
 * A plain mqtt.js observer (not our code), persistent session, fast fixed reconnect, that records
 * everything on `filters`. Used to check what actually reached the broker.
 */
export class Observer {
  readonly got: Got[] = [];
  client!: MqttClient;
  /** True from the SUBACK after a connect until the connection closes. */
  subscribed = false;

  static async start(url: string, filters: string[], opts: Partial<IClientOptions> = {}): Promise<Observer> {
    const o = new Observer();
    o.client = connect(url, { clientId: `obs-${Math.random().toString(36).slice(2, 8)}`, clean: false, reconnectPeriod: 50, protocolVersion: 4, ...opts });
    o.client.on('error', () => undefined);
    o.client.on('message', (topic, payload, packet) => {
      const text = payload.toString();
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      o.got.push({ topic, text, retain: packet.retain, json, expiry: packet.properties?.messageExpiryInterval });
    });
    // Subscribe on EVERY connect (a restarted broker without persistence forgets subscriptions).
    await new Promise<void>((resolve, reject) => {
      o.client.on('connect', () =>
        o.client.subscribe(filters, { qos: 1 }, (err) => {
          if (err) return reject(err);
          o.subscribed = true;
          resolve();
        }),
      );
      o.client.on('close', () => (o.subscribed = false));
    });
    return o;
  }

  on(topic: string): Got[] {
    return this.got.filter((g) => g.topic === topic);
  }

  async stop(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Memory logger handy for asserting logged reasons. */
export { memoryLogger };

/**
 * A TCP proxy in front of the broker that can freeze: existing connections stay open but carry
 * nothing in either direction (a half-open link: a dead Wi-Fi, a silently rebooted router).
 */
export class FreezableProxy {
  /** While false, new connections are closed at once (the broker looks unreachable to the core). */
  open = true;
  /** TCP connections the proxy has received (refused ones included): one per connect attempt. */
  accepted = 0;
  private server!: Server;
  port = 0;
  private frozen = false;
  private pairs: Array<[Socket, Socket]> = [];
  async start(target: number): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client) => {
      this.accepted++;
      if (!this.open) return void client.destroy();
      const upstream = tcpConnect(target, '127.0.0.1');
      this.pairs.push([client, upstream]);
      const fwd = (from: Socket, to: Socket) => from.on('data', (d) => !this.frozen && !(from as Socket & { dead?: boolean }).dead && to.write(d));
      fwd(client, upstream);
      fwd(upstream, client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => this.server.listen(this.port, '127.0.0.1', () => r()));
  }
  /** Stop forwarding on current connections forever (they never recover: half-open). */
  freeze(): void {
    for (const [a, b] of this.pairs) {
      (a as Socket & { dead?: boolean }).dead = true;
      (b as Socket & { dead?: boolean }).dead = true;
    }
    this.pairs = [];
  }
  /** Drop every current connection at once (both sides closed). */
  cut(): void {
    for (const [a, b] of this.pairs) (a.destroy(), b.destroy());
    this.pairs = [];
  }
  async stop(): Promise<void> {
    for (const [a, b] of this.pairs) (a.destroy(), b.destroy());
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}


/** Pid of a TestMosquitto's process (found by its config path). */
export function brokerPid(b: { dir: string }): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`${b.dir}/mosquitto.conf`)) return Number(d);
    } catch {
      // the process went away while we looked
    }
  }
  throw new Error('broker pid not found');
}

