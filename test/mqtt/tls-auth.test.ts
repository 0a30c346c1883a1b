import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { makeCore, memoryLogger, tempDir, waitFor } from './helpers.js';

/** Certificates made by openssl for this run only: a CA, a server cert for 127.0.0.1, a client cert, and an unrelated CA. */
const dir = tempDir('wfe-tls-');
chmodSync(dir, 0o755); // Mosquitto (dropping root to `mosquitto`) must read the server files
const f = (n: string) => join(dir, n);
function ssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}
function makePki() {
  const ca = (name: string) => ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`));
  ca('test-ca');
  ca('other-ca');
  const leaf = (name: string, cn: string, ext: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    writeFileSync(f(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('test-ca.crt'), '-CAkey', f('test-ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.crt`));
  };
  leaf('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  leaf('client', 'wfe-node', 'extendedKeyUsage=clientAuth\n');
  leaf('elsewhere', 'broker.elsewhere.example', 'subjectAltName=DNS:broker.elsewhere.example\n');
  for (const n of ['server.key', 'server.crt', 'elsewhere.key', 'elsewhere.crt', 'test-ca.crt']) chmodSync(f(n), 0o644);
}
makePki();
execFileSync('mosquitto_passwd', ['-b', '-c', f('passwd'), 'node', 'right-password']);
chmodSync(f('passwd'), 0o644);

const tlsConf = (requireCert: boolean, leaf = 'server') =>
  [`cafile ${f('test-ca.crt')}`, `certfile ${f(`${leaf}.crt`)}`, `keyfile ${f(`${leaf}.key`)}`, `require_certificate ${requireCert}`].join('\n');
const tlsBroker = new TestMosquitto({ extraConfig: tlsConf(false) });
const mtlsBroker = new TestMosquitto({ extraConfig: tlsConf(true) });
const wrongHostBroker = new TestMosquitto({ extraConfig: tlsConf(false, 'elsewhere') });
const authBroker = new TestMosquitto({
  config: ['listener {port} 127.0.0.1', 'allow_anonymous false', `password_file ${f('passwd')}`, 'persistence false', 'log_dest stderr', 'log_type error'].join('\n'),
});
beforeAll(() => Promise.all([tlsBroker.start(), mtlsBroker.start(), authBroker.start(), wrongHostBroker.start()]));
afterAll(() => Promise.all([tlsBroker.stop(), mtlsBroker.stop(), authBroker.stop(), wrongHostBroker.stop()]));

const mqtts = (b: TestMosquitto) => `mqtts://127.0.0.1:${b.port}`;

/** Start a core, wait for CONNECTED (expectOk) or for `n` failed attempts; returns it (started). */
async function attempt(url: string, config: Record<string, unknown>, expectOk: boolean, logger = memoryLogger('warn')) {
  const core = makeCore({ url, config, logger, nodeId: 'tls-node' });
  await core.start();
  if (expectOk) await waitFor(() => core.connectionState() === 'CONNECTED', 10_000, 'connected');
  else await waitFor(() => (core.metrics().consecutive_failures as number) >= 2, 10_000, 'two failed attempts');
  return { core, logger };
}

describe('TLS and authentication against Mosquitto', () => {
  it('CA-only TLS works, with hostname verification on', async () => {
    const { core } = await attempt(mqtts(tlsBroker), { ca: f('test-ca.crt') }, true);
    expect(core.snapshot().url).toBe(mqtts(tlsBroker));
    await core.close();
  });

  it('a broker certificate from the wrong CA is refused (counted as tls, reason logged)', async () => {
    const { core, logger } = await attempt(mqtts(tlsBroker), { ca: f('other-ca.crt') }, false);
    expect(core.connectionState()).not.toBe('CONNECTED');
    expect((core.metrics().connect_failures_total as Record<string, number>).tls).toBeGreaterThanOrEqual(2);
    expect(core.snapshot().lastError).toMatch(/^TLS: /);
    expect(logger.lines.some((l) => l.msg === 'connect attempt failed' && l.code === 'tls')).toBe(true);
    await core.close();
  });

  it('hostname verification: a valid certificate for another host name is refused', async () => {
    const { core } = await attempt(mqtts(wrongHostBroker), { ca: f('test-ca.crt') }, false);
    expect(core.snapshot().lastError).toMatch(/^TLS: .*(altname|Hostname|IP: 127\.0\.0\.1)/i);
    await core.close();
  });

  it('turning verification off is explicit and logged (and then connects despite the wrong CA)', async () => {
    const { core, logger } = await attempt(mqtts(tlsBroker), { ca: f('other-ca.crt'), verifyHostname: false }, true);
    expect(logger.lines.some((l) => /verification is OFF/.test(l.msg))).toBe(true);
    await core.close();
  });

  it('mutual TLS: refused without a client certificate, accepted with one', async () => {
    const without = await attempt(mqtts(mtlsBroker), { ca: f('test-ca.crt') }, false);
    expect(without.core.connectionState()).not.toBe('CONNECTED');
    await without.core.close();
    const withCert = await attempt(mqtts(mtlsBroker), { ca: f('test-ca.crt'), cert: f('client.crt'), key: f('client.key') }, true);
    await withCert.core.close();
  });

  it.each([4, 5])('MQTT %i: a wrong password is refused with the CONNACK reason in logs and metrics, the right one connects; secrets never logged', async (protocolVersion) => {
    const bad = await attempt(`mqtt://127.0.0.1:${authBroker.port}`, { username: 'node', password: 'wrong-password', protocolVersion }, false, memoryLogger('debug'));
    const refusals = bad.core.metrics().connack_refusals_total as Record<string, number>;
    const codes = Object.keys(refusals);
    expect(codes.length).toBe(1);
    // 3.1.1: 4 bad user name or password / 5 not authorized; MQTT 5: 134 / 135
    expect(protocolVersion === 4 ? ['4', '5'] : ['134', '135']).toContain(codes[0]);
    expect(refusals[codes[0]]).toBeGreaterThanOrEqual(2);
    expect(bad.core.snapshot().lastError).toMatch(/broker refused the connection: (bad user name or password|not authorized)/);
    expect(bad.logger.lines.some((l) => l.msg === 'connect attempt failed' && /broker refused the connection/.test(String(l.reason)))).toBe(true);
    await bad.core.close();
    const all = JSON.stringify(bad.logger.lines) + JSON.stringify(bad.core.snapshot()) + JSON.stringify(bad.core.metrics());
    expect(all).not.toContain('wrong-password');
    const good = await attempt(`mqtt://node:right-password@127.0.0.1:${authBroker.port}`, { protocolVersion }, true);
    expect(good.core.snapshot().url).not.toContain('right-password');
    await good.core.close();
  });
});
