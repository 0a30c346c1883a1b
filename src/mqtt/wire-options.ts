import { readFile } from 'node:fs/promises';
import { CodedError } from '../core/result.js';
import type { MqttConfig } from './config.js';
import { maxPacketBytes } from './packet-guard.js';
import type { WireOptions } from './wire-client.js';

/**
 * Connection options from the config (MQTT-CORE.md "Security"): TLS files read once at start (a
 * missing file refuses to start, naming the key and the fix), credentials, keepalive, the will.
 */

/** TLS material read from the configured files. */
export type TlsFiles = Pick<WireOptions, 'ca' | 'cert' | 'key'>;

/** Read `mqtt.ca`, `mqtt.cert`, `mqtt.key`; throws a CodedError `mqtt_tls_file` naming the key. */
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
  return { ca: await read('ca'), cert: await read('cert'), key: await read('key') };
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
