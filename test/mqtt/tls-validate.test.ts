import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mqttConfigSchema } from '../../src/mqtt/index.js';
import { readTlsFiles } from '../../src/mqtt/wire-options.js';
import { makeCore, tempDir } from './helpers.js';

// Issue 12 item 7d: TLS files are validated at start, with a message naming the setting and the
// file: a garbage or empty CA (Node accepts it silently and every connect then fails with a vague
// TLS error), an unreadable path, a key that does not match the certificate, an encrypted key.

const dir = tempDir('wfe-tlsv-');
const f = (n: string) => join(dir, n);
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=v-ca', '-keyout', f('ca.key'), '-out', f('ca.crt'));
ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=v-client', '-keyout', f('client.key'), '-out', f('client.csr'));
ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-out', f('client.crt'));
ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('other.key'));
ssl('pkey', '-in', f('client.key'), '-aes256', '-passout', 'pass:secret', '-out', f('encrypted.key'));
writeFileSync(f('garbage.pem'), 'this is not a certificate\n');
writeFileSync(f('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAAnotbase64cert\n-----END CERTIFICATE-----\n');
mkdirSync(f('a-directory'));

const check = (c: Record<string, string>) => readTlsFiles(mqttConfigSchema.parse({ url: 'mqtts://127.0.0.1:8883', ...c }));

describe('TLS files validated at start', () => {
  it('good files pass: a CA, and a client certificate with its own key', async () => {
    const t = await check({ ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') });
    expect(t.ca?.length).toBeGreaterThan(0);
  });

  it.each([
    ['garbage CA', { ca: 'garbage.pem' }, /^mqtt\.ca: .*garbage\.pem contains no PEM certificate/],
    ['unparseable CA block', { ca: 'broken.pem' }, /^mqtt\.ca: .*broken\.pem has a certificate \(#1\) that cannot be parsed/],
    ['a private key given as CA', { ca: 'ca.key' }, /^mqtt\.ca: .*ca\.key contains no PEM certificate/],
    ['unreadable CA (a directory)', { ca: 'a-directory' }, /^mqtt\.ca: cannot read .*a-directory/],
    ['garbage client certificate', { cert: 'garbage.pem', key: 'client.key' }, /^mqtt\.cert: .*garbage\.pem contains no PEM certificate/],
    ['garbage key', { cert: 'client.crt', key: 'garbage.pem' }, /^mqtt\.key: .*garbage\.pem is not a usable private key/],
    ['key not matching the certificate', { cert: 'client.crt', key: 'other.key' }, /^mqtt\.key: .*other\.key does not match the certificate in mqtt\.cert \(.*client\.crt\)/],
    ['encrypted key', { cert: 'client.crt', key: 'encrypted.key' }, /^mqtt\.key: .*encrypted\.key is not a usable private key .*passphrase/],
  ])('%s is refused naming the setting and the file', async (_name, files, message) => {
    const c = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, f(v)]));
    await expect(check(c)).rejects.toMatchObject({ code: 'mqtt_tls_file', message: expect.stringMatching(message) });
  });

  it('the core refuses to start on them (the node reports a config error instead of failing every connect)', async () => {
    const core = makeCore({ url: 'mqtts://127.0.0.1:1', config: { cert: f('client.crt'), key: f('other.key') } });
    await expect(core.start()).rejects.toThrow(/mqtt\.key: .*does not match the certificate/);
    await core.close();
  });
});
