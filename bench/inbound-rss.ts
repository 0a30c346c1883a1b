/**
 * RSS of a node while another client publishes one huge message to a topic it subscribes
 * (issue 12 item 6). Real Mosquitto (stock config, no max_packet_size); the publisher runs in a
 * child process so its own buffer is not counted. Not part of `npm run bench` (one-off figure).
 *
 *   node --expose-gc --import tsx bench/inbound-rss.ts [4|5|embedded] [MiB]
 *
 * `embedded`: no mqtt.url, so the node runs aedes in-process and the publisher connects to it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log/logger.js';
import { createMqttCore, mqttConfigSchema } from '../src/mqtt/index.js';
import { freePort, TestMosquitto } from '../test/helpers/mosquitto.js';

const embedded = process.argv[2] === 'embedded';
const protocolVersion = (embedded ? 4 : Number(process.argv[2] ?? 4)) as 4 | 5;
const mib = Number(process.argv[3] ?? 200);
const mb = (n: number) => Math.round(n / 1e6);
const gc = (globalThis as { gc?: () => void }).gc;

const broker = new TestMosquitto();
const port = embedded ? await freePort() : 0;
if (!embedded) await broker.start();
const url = embedded ? `mqtt://127.0.0.1:${port}` : broker.url;
const core = createMqttCore({
  config: mqttConfigSchema.parse(embedded ? { embedded: { port } } : { url, protocolVersion, backoff: { baseMs: 50, capMs: 300 } }),
  nodeId: 'rss',
  stateDir: mkdtempSync(join(tmpdir(), 'wfe-rss-')),
  logger: silentLogger(),
});
core.subscribe('fire/trigger', 'bench', (b) => ({ ok: true, value: b.length }), () => undefined);
await core.start();
while (core.metrics().subscriptions_granted_total !== 1) await new Promise((r) => setTimeout(r, 20));
gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);

const pub = spawn(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `import { connect } from 'mqtt';
     const c = connect(${JSON.stringify(url)}, { protocolVersion: 4, reconnectPeriod: 0 });
     c.on('connect', () => c.publish('fire/trigger', Buffer.alloc(${mib} * 1024 * 1024, 97), { qos: 1 }, () => c.end()));`,
  ],
  { stdio: 'inherit' },
);
await new Promise((r) => pub.once('exit', r));
// Give the node time to read whatever the broker forwards.
await new Promise((r) => setTimeout(r, 3000));
clearInterval(sampler);
gc?.();
const after = process.memoryUsage().rss;
const m = core.metrics();
console.log(
  JSON.stringify({
    broker: embedded ? 'embedded aedes' : 'mosquitto',
    protocolVersion,
    publishMiB: mib,
    rssBeforeMB: mb(before),
    rssPeakMB: mb(peak),
    rssAfterMB: mb(after),
    received_total: m.received_total,
    rejected_total: m.rejected_total,
    inbound_oversize_packets_total: m.inbound_oversize_packets_total ?? 'n/a',
    embedded_broker_oversize_packets_total: m.embedded_broker_oversize_packets_total ?? 'n/a',
    connects_total: m.connects_total,
  }),
);
await core.close();
if (!embedded) await broker.stop();
