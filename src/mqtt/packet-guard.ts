/**
 * Bounded inbound packet size at the socket (issue 12 item 6). mqtt.js and aedes both hand every
 * byte to mqtt-packet's parser, which buffers a whole packet before anyone can look at its size:
 * a 200 MiB PUBLISH from any client took a node from 238 MB to 504 MB RSS. This watcher reads only
 * the MQTT fixed headers (type byte + remaining-length varint) as the bytes arrive, skips over
 * bodies by arithmetic, and reports a packet whose DECLARED size exceeds the cap as soon as its
 * length field is complete, so the connection can be closed before the body is buffered. Pure: no
 * sockets, no allocation per chunk.
 *
 * Under MQTT 5 the client also advertises the cap as its Maximum Packet Size (CONNECT property), so a
 * compliant broker never sends a larger packet; the watcher is what holds under MQTT 3.1.1, for a
 * non-compliant broker, and for the clients of the embedded broker.
 */

/**
 * Room for the topic, packet id and MQTT 5 properties on top of a payload of `mqtt.maxInboundBytes`,
 * so every message whose payload is within the limit still fits in a packet within the cap.
 */
export const PACKET_HEADROOM_BYTES = 16 * 1024;

/** The packet-size cap (whole packet, as MQTT 5 counts Maximum Packet Size) for a payload limit. */
export function maxPacketBytes(maxInboundBytes: number): number {
  return maxInboundBytes + PACKET_HEADROOM_BYTES;
}

/** Total packet size for a remaining length (fixed header byte + varint + body). */
function totalSize(remaining: number, lenBytes: number): number {
  return 1 + lenBytes + remaining;
}

/** Watches one direction of one connection. */
export class PacketSizeGuard {
  /** 0: expecting a fixed-header byte; 1: reading the remaining-length varint; 2: skipping a body. */
  private phase: 0 | 1 | 2 = 0;
  private value = 0;
  private mul = 1;
  private lenBytes = 0;
  private left = 0;
  private tripped = false;

  constructor(readonly maxBytes: number) {}

  /**
   * Feed the next chunk. Returns the declared total size of the first packet that exceeds the cap
   * (once; afterwards the guard is tripped and returns undefined), else undefined.
   */
  feed(chunk: Uint8Array): number | undefined {
    if (this.tripped) return undefined;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.phase === 2) {
        const skip = Math.min(this.left, n - i);
        this.left -= skip;
        i += skip;
        if (this.left === 0) this.phase = 0;
        continue;
      }
      if (this.phase === 0) {
        i++; // the type/flags byte: mqtt-packet validates it
        this.phase = 1;
        this.value = 0;
        this.mul = 1;
        this.lenBytes = 0;
        continue;
      }
      const b = chunk[i++];
      this.value += (b & 0x7f) * this.mul;
      this.mul *= 128;
      this.lenBytes++;
      if (b & 0x80) {
        // A 5th length byte is malformed (mqtt-packet rejects it); nothing large is buffered for it.
        if (this.lenBytes >= 4) {
          this.phase = 0;
          this.left = 0;
        }
        continue;
      }
      const size = totalSize(this.value, this.lenBytes);
      if (size > this.maxBytes) {
        this.tripped = true;
        return size;
      }
      this.left = this.value;
      this.phase = this.left > 0 ? 2 : 0;
    }
    return undefined;
  }
}

/** The part of a stream the guard needs (net.Socket, tls.TLSSocket, a WebSocket duplex). */
interface DataSource {
  prependListener(event: 'data', listener: (chunk: Buffer) => void): unknown;
  removeListener(event: 'data', listener: (chunk: Buffer) => void): unknown;
  destroy(error?: Error): unknown;
}

/**
 * Watch `stream`'s inbound bytes; on a packet declared larger than `maxBytes`, call `onOversize`
 * and destroy the stream. The listener runs before the parser's (prepended), so at most the one
 * chunk already read (one socket read, ≤ 64 KiB) reaches the parser, never the declared body.
 * Returns a function that stops watching.
 */
export function guardInboundPackets(stream: DataSource, maxBytes: number, onOversize: (declaredBytes: number) => void): () => void {
  const guard = new PacketSizeGuard(maxBytes);
  const onData = (chunk: Buffer): void => {
    const size = guard.feed(chunk);
    if (size === undefined) return;
    stream.removeListener('data', onData);
    try {
      onOversize(size);
    } finally {
      stream.destroy();
    }
  };
  stream.prependListener('data', onData);
  return () => stream.removeListener('data', onData);
}
