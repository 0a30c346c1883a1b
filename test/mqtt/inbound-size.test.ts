import { EventEmitter } from 'node:events';
import { connect as mqttConnect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TestMosquitto } from '../helpers/mosquitto.js';
import { guardInboundPackets, maxPacketBytes, PacketSizeGuard, PACKET_HEADROOM_BYTES } from '../../src/mqtt/packet-guard.js';
import { makeCore, memoryLogger, Observer, waitFor } from './helpers.js';

// Issue 12 item 6: an inbound packet larger than mqtt.maxInboundBytes (+ headroom) must never be
// buffered whole. MQTT 5: advertised as Maximum Packet Size, so Mosquitto does not send it at all.
// MQTT 3.1.1: the declared length is read at the socket and the connection closed before the body.
// The embedded broker (aedes, in our process) guards its clients' sockets the same way.

/** A PUBLISH fixed header declaring `remaining` bytes (body not included). */
function publishHeader(remaining: number): Buffer {
  const bytes = [0x30];
  let x = remaining;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 0x80;
    bytes.push(b);
  } while (x > 0);
  return Buffer.from(bytes);
}

describe('PacketSizeGuard (pure)', () => {
  it('passes packets within the cap, across any chunking, and trips on the declared length alone', () => {
    const small = Buffer.concat([publishHeader(200), Buffer.alloc(200, 1)]);
    const ping = Buffer.from([0xd0, 0x00]);
    const stream = Buffer.concat([small, ping, small, ping]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const g = new PacketSizeGuard(300);
      for (let i = 0; i < stream.length; i += size) expect(g.feed(stream.subarray(i, i + size))).toBeUndefined();
    }
    // 200 MiB declared: reported as soon as the 4-byte length is complete, byte by byte.
    const g = new PacketSizeGuard(300);
    expect(g.feed(stream)).toBeUndefined();
    const big = publishHeader(200 * 1024 * 1024);
    for (let i = 0; i < big.length - 1; i++) expect(g.feed(big.subarray(i, i + 1))).toBeUndefined();
    expect(g.feed(big.subarray(big.length - 1))).toBe(1 + 4 + 200 * 1024 * 1024);
    expect(g.feed(Buffer.alloc(10))).toBeUndefined(); // reported once
    // the cap counts the whole packet: exactly at the cap passes, one byte more trips
    expect(new PacketSizeGuard(203).feed(publishHeader(200))).toBeUndefined();
    expect(new PacketSizeGuard(202).feed(publishHeader(200))).toBe(203);
    expect(maxPacketBytes(65536)).toBe(65536 + PACKET_HEADROOM_BYTES);
  });

  it('guardInboundPackets destroys the stream before the body arrives', () => {
    const s = Object.assign(new EventEmitter(), { destroyed: false, destroy() { this.destroyed = true; } });
    const parserSaw: number[] = [];
    s.on('data', (c: Buffer) => parserSaw.push(c.length)); // stands for the pipe to the parser
    const sizes: number[] = [];
    guardInboundPackets(s, 1000, (n) => sizes.push(n));
    s.emit('data', publishHeader(10_000_000));
    expect(sizes).toEqual([1 + 4 + 10_000_000]);
    expect(s.destroyed).toBe(true);
    expect(parserSaw).toEqual([5]); // only the header chunk
  });
});

describe('inbound size cap against Mosquitto (stock config: no max_packet_size)', () => {
  const broker = new TestMosquitto();
  beforeAll(() => broker.start());
  afterAll(() => broker.stop());

  const capped = (protocolVersion: 4 | 5, nodeId: string) => {
    const log = memoryLogger('warn');
    const core = makeCore({ url: broker.url, nodeId, logger: log, config: { maxInboundBytes: 4096, protocolVersion } });
    const got: string[] = [];
    core.subscribe('big/#', 'test', (b) => ({ ok: true, value: b.length }), (n, m) => got.push(`${m.topic}:${n}`));
    return { core, got, log };
  };

  it('MQTT 5: advertises Maximum Packet Size; the broker never sends the 4 MiB message; the connection stays up', async () => {
    const { core, got } = capped(5, 'cap5');
    await core.start();
    await waitFor(() => core.metrics().subscriptions_granted_total === 1, 10_000, 'subscribed');
    const pub = await Observer.start(broker.url, ['nothing'], { protocolVersion: 5 });
    await pub.client.publishAsync('big/huge', Buffer.alloc(4 * 1024 * 1024, 0x61), { qos: 1 });
    await pub.client.publishAsync('big/small', Buffer.alloc(100, 0x62), { qos: 1 });
    await waitFor(() => got.length >= 1, 10_000, 'small message');
    const m = core.metrics();
    expect(got).toEqual(['big/small:100']);
    expect(m.received_total).toBe(1); // the large one never reached the node
    expect(m.rejected_total).toEqual({});
    expect(m.connects_total).toBe(1);
    expect(m.inbound_oversize_packets_total).toBe(0);
    await pub.stop();
    await core.close();
  });

  it('MQTT 3.1.1: the declared length is refused at the socket (closed, counted, logged), the node reconnects and keeps receiving', async () => {
    const { core, got, log } = capped(4, 'cap4');
    await core.start();
    await waitFor(() => core.metrics().subscriptions_granted_total === 1, 10_000, 'subscribed');
    const pub = await Observer.start(broker.url, ['nothing']);
    await pub.client.publishAsync('big/huge', Buffer.alloc(4 * 1024 * 1024, 0x61), { qos: 1 });
    await waitFor(() => core.metrics().inbound_oversize_packets_total === 1, 10_000, 'oversize counted');
    await waitFor(() => core.metrics().connects_total === 2 && core.metrics().subscriptions_granted_total === 2, 10_000, 'reconnected and subscribed');
    await pub.client.publishAsync('big/small', Buffer.alloc(100, 0x62), { qos: 1 });
    await waitFor(() => got.length >= 1, 10_000, 'small message');
    const m = core.metrics();
    expect(got).toEqual(['big/small:100']);
    expect(m.received_total).toBe(1);
    expect(m.rejected_total).toEqual({}); // never parsed, so never a rejected payload
    const lines = log.lines.filter((l) => /larger than the cap/.test(String(l.msg)));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ capBytes: 4096 + PACKET_HEADROOM_BYTES });
    expect(Number(lines[0].declaredBytes)).toBeGreaterThan(4 * 1024 * 1024);
    await pub.stop();
    await core.close();
  });
});

describe('inbound size cap in the embedded broker', () => {
  it("a local client's 4 MiB publish closes that client's connection before buffering; the node never receives it", async () => {
    const port = await freePort();
    const core = makeCore({ nodeId: 'solo', config: { embedded: { port }, maxInboundBytes: 4096 } });
    const got: number[] = [];
    core.subscribe('fire/trigger', 'test', (b) => ({ ok: true, value: b.length }), (n) => got.push(n));
    await core.start();
    await waitFor(() => core.metrics().subscriptions_granted_total === 1, 10_000, 'subscribed');
    const url = `mqtt://127.0.0.1:${port}`;
    const bad = mqttConnect(url, { clientId: 'bad', reconnectPeriod: 0, protocolVersion: 4 });
    bad.on('error', () => undefined);
    await new Promise((r) => bad.once('connect', r));
    const closed = new Promise<void>((r) => bad.once('close', () => r()));
    bad.publish('fire/trigger', Buffer.alloc(4 * 1024 * 1024, 0x61), { qos: 0 });
    await Promise.race([closed, new Promise((_, rej) => setTimeout(() => rej(new Error('the embedded broker kept the oversize publisher connected')), 10_000))]);
    await waitFor(() => core.metrics().embedded_broker_oversize_packets_total === 1, 10_000, 'counted');
    bad.end(true);
    const ok = await Observer.start(url, ['nothing']);
    await ok.client.publishAsync('fire/trigger', Buffer.alloc(50, 0x62), { qos: 1 });
    await waitFor(() => got.length === 1, 10_000, 'small trigger');
    const m = core.metrics();
    expect(got).toEqual([50]);
    expect(m.received_total).toBe(1);
    expect(m.rejected_total).toEqual({});
    expect(m.inbound_oversize_packets_total).toBe(0); // stopped at the broker, not at our client
    await ok.stop();
    await core.close();
  });
});
