import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../log/logger.js';
import { guardInboundPackets, maxPacketBytes } from './packet-guard.js';

/**
 * The in-process broker used when no `mqtt.url` is configured (docs/design.md "Roles and scale"): aedes
 * on a loopback TCP port, so a single Pi works out of the box. It speaks MQTT 3.1.1 and keeps
 * everything in memory (retained messages included); our outbox still makes our own messages
 * durable. A site with several nodes runs Mosquitto instead.
 */

/** Options of {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** Listen address; keep it loopback unless other nodes must reach it. */
  host: string;
  /** TCP port; 0 = any free port (see `url`). */
  port: number;
  logger: Logger;
  /** Cap on one packet from a client (whole packet); a larger one closes that client's connection before its body is buffered. Default: for a 64 KiB payload. */
  maxPacketBytes?: number;
  /** At most one log line per this interval about oversize packets (with the count). */
  logIntervalMs?: number;
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** `mqtt://<host>:<port>` to connect to. */
  url: string;
  port: number;
  /** Client connections closed for a packet above the cap. */
  oversizePackets(): number;
  /** Stop listening and close every client; idempotent, never throws. */
  close(): Promise<void>;
}

/** Start aedes on `host:port`. Rejects (e.g. EADDRINUSE) with a message naming the fix. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = opts.logger.child('broker');
  const aedes = await Aedes.createBroker();
  aedes.on('clientError', (client, err) => log.debug('embedded broker client error', { client: client?.id, err }));
  aedes.on('connectionError', (_client, err) => log.debug('embedded broker connection error', { err }));
  // aedes runs in this process and its parser buffers a whole packet: a 200 MiB PUBLISH from any
  // local client would land in our heap. Watch declared sizes on each client socket first.
  let oversize = 0;
  let lastLog = Number.NEGATIVE_INFINITY;
  const every = opts.logIntervalMs ?? 60_000;
  const cap = opts.maxPacketBytes ?? maxPacketBytes(64 * 1024);
  const server: Server = createServer((socket) => {
    guardInboundPackets(socket, cap, (bytes) => {
      oversize++;
      const now = performance.now();
      if (now - lastLog < every) return;
      lastLog = now;
      log.warn('embedded broker: a client sent a packet larger than the cap; closed its connection before buffering it', {
        declaredBytes: bytes,
        capBytes: cap,
        remote: socket.remoteAddress,
        total: oversize,
        fix: 'find the publisher, or raise mqtt.maxInboundBytes',
      });
    });
    aedes.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      `embedded MQTT broker cannot listen on ${opts.host}:${opts.port} (${e.code ?? e.message}); ` +
        'if a broker already runs there set mqtt.url to it, otherwise choose mqtt.embedded.port',
    );
  }
  server.on('error', (err) => log.error('embedded broker server error', { err }));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  log.info('embedded MQTT broker listening', { host: opts.host, port });
  let closing: Promise<void> | undefined;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    oversizePackets: () => oversize,
    close() {
      closing ??= (async () => {
        await new Promise<void>((r) => aedes.close(() => r()));
        await new Promise<void>((r) => server.close(() => r()));
      })().catch((err) => log.warn('error while closing the embedded broker (ignored)', { err }));
      return closing;
    },
  };
}
