import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { CodedError } from '../core/result.js';
import type { MqttConfig } from './config.js';
import { maxPacketBytes } from './packet-guard.js';
import type { WireOptions } from './wire-client.js';

/**
 * Connection options from the config (docs/mqtt-core.md "Security"): TLS files read once at start (a
 * missing file refuses to start, naming the key and the fix), credentials, keepalive, the will.
 */

/** TLS material read from the configured files. */
export type TlsFiles = Pick<WireOptions, 'ca' | 'cert' | 'key'>;

/**
 * Read `mqtt.ca`, `mqtt.cert`, `mqtt.key` and validate them, so a bad file is a clear refusal at
 * start naming the setting and the file, not a TLS error on every connect attempt (or, for a
 * garbage CA, which Node accepts silently, a vague "unable to get local issuer certificate").
 * Throws a CodedError `mqtt_tls_file`.
 */
export async function readTlsFiles(c: MqttConfig): Promise<TlsFiles> {
  const read = async (what: 'ca' | 'cert' | 'key') => {
    const path = c[what];
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new CodedError('mqtt_tls_file', `mqtt.${what}: cannot read ${path} (${(err as Error).message}); fix the path or remove the key`);
    }
  };
  const files: TlsFiles = { ca: await read('ca'), cert: await read('cert'), key: await read('key') };
  validateTlsFiles(c, files);
  return files;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every PEM certificate in `buf`, parsed; throws naming the setting and file when there is none or one is broken. */
function parseCerts(what: 'ca' | 'cert', path: string, buf: Buffer): X509Certificate[] {
  const blocks = buf.toString('latin1').match(PEM_CERT) ?? [];
  const bad = (why: string) =>
    new CodedError('mqtt_tls_file', `mqtt.${what}: ${path} ${why}; it must hold PEM certificate(s) ("-----BEGIN CERTIFICATE-----"): fix the file or the path`);
  if (!blocks.length) throw bad('contains no PEM certificate');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw bad(`has a certificate (#${i + 1}) that cannot be parsed (${(err as Error).message})`);
    }
  });
}

/** Throws a CodedError `mqtt_tls_file` naming the setting and the file for the first problem found. */
export function validateTlsFiles(c: Pick<MqttConfig, 'ca' | 'cert' | 'key'>, f: TlsFiles): void {
  if (f.ca && c.ca) parseCerts('ca', c.ca, f.ca);
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  if (f.cert && c.cert) cert = parseCerts('cert', c.cert, f.cert)[0];
  if (f.key && c.key) {
    try {
      key = createPrivateKey(f.key);
    } catch (err) {
      const msg = (err as Error).message;
      const encrypted = /passphrase/i.test(msg) || /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(f.key.toString('latin1'));
      const hint = encrypted ? 'the key is encrypted; store it without a passphrase (openssl pkey -in KEY -out KEY.plain)' : 'it must be a PEM private key';
      throw new CodedError('mqtt_tls_file', `mqtt.key: ${c.key} is not a usable private key (${msg}); ${hint}`);
    }
  }
  if (cert && key && !cert.checkPrivateKey(key)) {
    throw new CodedError('mqtt_tls_file', `mqtt.key: ${c.key} does not match the certificate in mqtt.cert (${c.cert}); give the key the client certificate was issued for`);
  }
  try {
    // Whatever else OpenSSL itself refuses (unsupported key type, ...).
    createSecureContext({ ca: f.ca, cert: f.cert, key: f.key });
  } catch (err) {
    const which = [c.ca && `mqtt.ca (${c.ca})`, c.cert && `mqtt.cert (${c.cert})`, c.key && `mqtt.key (${c.key})`].filter(Boolean).join(', ');
    throw new CodedError('mqtt_tls_file', `TLS files refused by OpenSSL: ${(err as Error).message}; check ${which}`);
  }
}

/** Everything but url, protocol version and TLS files; `willTopic` is already prefixed. */
export function baseWireOptions(c: MqttConfig, clientId: string, willTopic: string): Omit<WireOptions, 'url' | 'protocolVersion' | 'ca' | 'cert' | 'key'> {
  return {
    clientId,
    username: c.username,
    password: c.password,
    // Node's TLS checks the chain AND the host name when rejectUnauthorized is true.
    rejectUnauthorized: c.verifyHostname,
    keepaliveSeconds: c.keepaliveSeconds,
    connectTimeoutMs: c.connectTimeoutSeconds * 1000,
    will: { topic: willTopic, payload: 'offline', qos: 1, retain: true },
    maxPacketBytes: maxPacketBytes(c.maxInboundBytes),
  };
}
