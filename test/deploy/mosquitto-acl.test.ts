import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';

/**
 * The shipped site broker config (deploy/mosquitto/) with certificates from make-certs.sh, run in a
 * real Mosquitto: TLS only, passwords, and the ACL that keeps camera identities from commanding pumps.
 */
const deployDir = resolve(__dirname, '../../deploy/mosquitto');
const dir = mkdtempSync(join(tmpdir(), 'wfe-site-broker-'));
const certs = join(dir, 'certs');
const users = { operator: 'op-pass', 'pi-north': 'pn-pass', 'cam-east': 'cam-pass', homeassistant: 'ha-pass' } as const;
type User = keyof typeof users;

let broker: TestMosquitto;
const clients: MqttClient[] = [];

function siteConfig(): string {
  // Only paths, the port and the log destination change; every security setting is the shipped one.
  const conf = readFileSync(join(deployDir, 'mosquitto.conf'), 'utf8')
    .replaceAll('/etc/mosquitto/certs/', `${certs}/`)
    .replaceAll('/etc/mosquitto/wildfire-edge.passwd', join(dir, 'passwd'))
    .replaceAll('/etc/mosquitto/wildfire-edge.acl', join(deployDir, 'acl'))
    .replaceAll('/var/lib/mosquitto/', '{dir}/')
    .replace(/^listener 8883$/m, 'listener {port} 127.0.0.1')
    .replace(/^log_dest syslog$/m, 'log_dest stderr');
  expect(conf).toContain('listener {port} 127.0.0.1');
  // As root, Mosquitto would drop to the `mosquitto` user, which cannot read this temp dir.
  return `user root\n${conf}`;
}

async function connect(user: User | null, opts: { password?: string; tls?: boolean } = {}): Promise<MqttClient> {
  const tls = opts.tls ?? true;
  const c = await mqtt.connectAsync(`${tls ? 'mqtts' : 'mqtt'}://localhost:${broker.port}`, {
    ca: readFileSync(join(certs, 'ca.crt')),
    ...(user ? { username: user, password: opts.password ?? users[user] } : {}),
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  clients.push(c);
  return c;
}

/** Operator subscriber recording everything under fire/#. */
async function watcher(filter = 'fire/#') {
  const got: Array<{ topic: string; payload: string }> = [];
  const c = await connect('operator');
  c.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
  await c.subscribeAsync(filter, { qos: 1 });
  return got;
}

/** Publish and report whether the broker refused it (MQTT 5 PUBACK reason code). */
async function tryPublish(c: MqttClient, topic: string, payload: string): Promise<'accepted' | 'refused'> {
  try {
    await c.publishAsync(topic, payload, { qos: 1 });
    return 'accepted';
  } catch {
    return 'refused';
  }
}

const until = async (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

beforeAll(async () => {
  execFileSync('bash', [join(deployDir, 'make-certs.sh'), '--out', certs, '--broker-host', 'localhost', '--broker-ip', '127.0.0.1', 'pi-north', 'cam-east'], { stdio: 'pipe' });
  const pw = join(dir, 'passwd');
  writeFileSync(pw, '');
  for (const [u, p] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', pw, u, p], { stdio: 'pipe' });
  broker = new TestMosquitto({ config: siteConfig() });
  await broker.start();
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await broker?.stop();
});

describe('make-certs.sh', () => {
  it('writes the CA, server and node certificates with private keys readable by the owner only', () => {
    for (const f of ['ca', 'server', 'pi-north', 'cam-east']) {
      expect(statSync(join(certs, `${f}.crt`)).isFile()).toBe(true);
      expect(statSync(join(certs, `${f}.key`)).mode & 0o077).toBe(0);
    }
    const out = execFileSync('openssl', ['verify', '-CAfile', join(certs, 'ca.crt'), join(certs, 'server.crt'), join(certs, 'cam-east.crt')]).toString();
    expect(out).toContain('server.crt: OK');
    expect(out).toContain('cam-east.crt: OK');
    const san = execFileSync('openssl', ['x509', '-in', join(certs, 'server.crt'), '-noout', '-ext', 'subjectAltName']).toString();
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:127.0.0.1');
  });

  it('keeps existing certificates when run again', () => {
    const before = readFileSync(join(certs, 'server.crt'), 'utf8');
    execFileSync('bash', [join(deployDir, 'make-certs.sh'), '--out', certs, '--broker-host', 'localhost', 'pi-north'], { stdio: 'pipe' });
    expect(readFileSync(join(certs, 'server.crt'), 'utf8')).toBe(before);
  });

  it('refuses to write keys inside a git work tree', () => {
    let failed = false;
    try {
      execFileSync('bash', [join(deployDir, 'make-certs.sh'), '--out', join(deployDir, 'certs-test'), '--broker-host', 'x'], { stdio: 'pipe' });
    } catch (e) {
      failed = true;
      expect(String((e as { stderr: Buffer }).stderr)).toContain('git work tree');
    }
    expect(failed).toBe(true);
    expect(() => statSync(join(deployDir, 'certs-test'))).toThrow();
  });
});

describe('site broker (deploy/mosquitto)', () => {
  it('a camera identity cannot publish fire/emergency or fire/trigger; its own detections go through', async () => {
    const got = await watcher();
    const cam = await connect('cam-east');
    expect(await tryPublish(cam, 'fire/emergency', '{"action":"start","id":"evil-1"}')).toBe('refused');
    expect(await tryPublish(cam, 'fire/trigger', '{"action":"trigger","id":"evil-2"}')).toBe('refused');
    expect(await tryPublish(cam, 'fire/detection/north', '{"detections":[]}')).toBe('refused'); // not its camera
    // Same connection, published after: once this arrives, the refused ones would have arrived before it.
    expect(await tryPublish(cam, 'fire/detection/east', '{"detections":[]}')).toBe('accepted');
    await until(() => got.some((m) => m.topic === 'fire/detection/east'));
    expect(got.map((m) => m.topic)).toEqual(['fire/detection/east']);
  });

  it('the operator may publish fire/emergency and the consensus node fire/trigger', async () => {
    const got = await watcher();
    const op = await connect('operator');
    const ctl = await connect('pi-north');
    expect(await tryPublish(op, 'fire/emergency', '{"action":"stop","id":"op-1"}')).toBe('accepted');
    expect(await tryPublish(ctl, 'fire/trigger', '{"action":"trigger","id":"t-1"}')).toBe('accepted');
    await until(() => got.length === 2);
    expect(got.map((m) => m.topic).sort()).toEqual(['fire/emergency', 'fire/trigger']);
  });

  it('nodes may publish their own system topics only', async () => {
    const cam = await connect('cam-east');
    expect(await tryPublish(cam, 'system/cam-east/health', '{}')).toBe('accepted');
    expect(await tryPublish(cam, 'system/pi-north/availability', 'offline')).toBe('refused');
    expect(await tryPublish(cam, 'pump/pi-north/state', '{}')).toBe('refused');
  });

  it('Home Assistant may send pump commands and its birth message, nothing else', async () => {
    const ha = await connect('homeassistant');
    expect(await tryPublish(ha, 'fire/emergency', '{"action":"stop","target":"pi-north"}')).toBe('accepted');
    expect(await tryPublish(ha, 'homeassistant/status', 'online')).toBe('accepted');
    expect(await tryPublish(ha, 'fire/trigger', '{"action":"trigger"}')).toBe('refused');
    expect(await tryPublish(ha, 'pump/pi-north/state', '{}')).toBe('refused');
    expect(await tryPublish(ha, 'homeassistant/sensor/wfe_pi-north/health/config', '{}')).toBe('refused');
  });

  it('a node may publish its own Home Assistant discovery configs, not another node\'s', async () => {
    const got = await watcher('homeassistant/#');
    const ctl = await connect('pi-north');
    expect(await tryPublish(ctl, 'homeassistant/sensor/wfe_cam-east/health/config', '{}')).toBe('refused');
    expect(await tryPublish(ctl, 'homeassistant/sensor/wfe_pi-north/health/config', '{}')).toBe('accepted');
    await until(() => got.length >= 1);
    expect(got.map((m) => m.topic)).toEqual(['homeassistant/sensor/wfe_pi-north/health/config']);
  });

  it('refuses anonymous clients, wrong passwords and plain TCP', async () => {
    await expect(connect(null)).rejects.toThrow();
    await expect(connect('operator', { password: 'wrong' })).rejects.toThrow();
    await expect(connect('operator', { tls: false })).rejects.toThrow();
  });
});
