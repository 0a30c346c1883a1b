/**
 * RSS of a node while another client publishes one huge message to a topic it subscribes
 * (issue 12 item 6). Real Mosquitto (stock config, no max_packet_size); the publisher runs in a
 * child process so its own buffer is not counted. Not part of `npm run bench` (one-off figure).
 *
 *   node --expose-gc --import tsx bench/inbound-rss.ts [4|5] [MiB]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log/logger.js';
import { createMqttCore, mqttConfigSchema } from '../src/mqtt/index.js';
import { TestMosquitto } from '../test/helpers/mosquitto.js';

const protocolVersion = Number(process.argv[2] ?? 4) as 4 | 5;
const mib = Number(process.argv[3] ?? 200);
const mb = (n: number) => Math.round(n / 1e6);
const gc = (globalThis as { gc?: () => void }).gc;

const broker = new TestMosquitto();
await broker.start();
const core = createMqttCore({
  config: mqttConfigSchema.parse({ url: broker.url, protocolVersion, backoff: { baseMs: 50, capMs: 300 } }),
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
     const c = connect(${JSON.stringify(broker.url)}, { protocolVersion: 4, reconnectPeriod: 0 });
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
    protocolVersion,
    publishMiB: mib,
    rssBeforeMB: mb(before),
    rssPeakMB: mb(peak),
    rssAfterMB: mb(after),
    received_total: m.received_total,
    rejected_total: m.rejected_total,
    inbound_oversize_packets_total: m.inbound_oversize_packets_total ?? 'n/a',
    connects_total: m.connects_total,
  }),
);
await core.close();
await broker.stop();
