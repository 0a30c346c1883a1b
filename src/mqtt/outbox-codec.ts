import * as zlib from 'node:zlib';
import type { Priority } from './link.js';
import type { OutboxRecord } from './outbox-store.js';

/**
 * Record framing of the on-disk outbox log. Pure (Buffers only, no fs), so torn-tail handling is
 * testable without files.
 *
 *   frame  = u32le bodyLength | u32le crc32(body) | body
 *   body   = u8 type | ...
 *   MSG(1) = f64 seq | u8 priority | f64 createdAt | f64 expiresAt (NaN = none)
 *            | u16 idLen | id | u16 topicLen | topic | payload (rest of the body)
 *   DEL(2) = f64 seq                      (tombstone: acknowledged or dropped)
 *
 * A power cut can leave a partial last frame; its length or CRC does not match and it is skipped.
 * Corruption in the middle (a bad SD-card sector) skips only the damaged bytes: decoding
 * resynchronises on the next valid frame.
 */

const HEADER = 8;
const TYPE_MSG = 1;
const TYPE_DEL = 2;
/** Frames larger than this are treated as corruption, not allocated (a torn length field). */
const MAX_BODY = 512 * 1024 * 1024;

let table: Uint32Array | undefined;
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE): zlib's native one where it exists (Node >= 20.15), else table driven. */
export function crc32(buf: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(buf) >>> 0;
  return crc32js(buf);
}

/** The portable CRC-32 (same result as zlib.crc32). */
export function crc32js(buf: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  body.copy(out, HEADER);
  return out;
}

/** Encode a message record as one frame (one allocation: the body is written in place). */
export function encodeMessage(rec: OutboxRecord): Buffer {
  const idLen = Buffer.byteLength(rec.id, 'utf8');
  const topicLen = Buffer.byteLength(rec.topic, 'utf8');
  const bodyLen = 1 + 8 + 1 + 8 + 8 + 2 + idLen + 2 + topicLen + rec.payload.length;
  const out = Buffer.allocUnsafe(HEADER + bodyLen);
  let o = out.writeUInt8(TYPE_MSG, HEADER);
  o = out.writeDoubleLE(rec.seq, o);
  o = out.writeUInt8(rec.priority, o);
  o = out.writeDoubleLE(rec.createdAt, o);
  o = out.writeDoubleLE(rec.expiresAt ?? Number.NaN, o);
  o = out.writeUInt16LE(idLen, o);
  o += out.write(rec.id, o, 'utf8');
  o = out.writeUInt16LE(topicLen, o);
  o += out.write(rec.topic, o, 'utf8');
  rec.payload.copy(out, o);
  out.writeUInt32LE(bodyLen, 0);
  out.writeUInt32LE(crc32(out.subarray(HEADER)), 4);
  return out;
}

/** Encode a tombstone for `seq`. */
export function encodeRemove(seq: number): Buffer {
  const body = Buffer.allocUnsafe(9);
  body.writeUInt8(TYPE_DEL, 0);
  body.writeDoubleLE(seq, 1);
  return frame(body);
}

/** One decoded frame; `offset` is where it starts in the segment. */
export type DecodedFrame = { type: 'msg'; rec: OutboxRecord; bytes: number; offset: number } | { type: 'del'; seq: number; bytes: number; offset: number };

/** Result of decoding one segment: the valid frames and whether anything was skipped. */
export interface DecodedSegment {
  frames: DecodedFrame[];
  /** Byte offset just after the last valid frame. */
  validBytes: number;
  /** True when some bytes were ignored (partial write, corruption), in the middle or at the end. */
  torn: boolean;
  /** Number of separate corrupt or torn byte ranges skipped. */
  corruptRanges: number;
  /** Bytes skipped in those ranges. */
  skippedBytes: number;
}

function decodeBody(body: Buffer, bytes: number, offset: number): DecodedFrame | undefined {
  const type = body.readUInt8(0);
  if (type === TYPE_DEL && body.length === 9) return { type: 'del', seq: body.readDoubleLE(1), bytes, offset };
  if (type !== TYPE_MSG || body.length < 30) return undefined;
  let o = 1;
  const seq = body.readDoubleLE(o);
  o += 8;
  const priority = body.readUInt8(o);
  o += 1;
  const createdAt = body.readDoubleLE(o);
  o += 8;
  const expiresAt = body.readDoubleLE(o);
  o += 8;
  const idLen = body.readUInt16LE(o);
  o += 2;
  if (o + idLen + 2 > body.length) return undefined;
  const id = body.toString('utf8', o, o + idLen);
  o += idLen;
  const topicLen = body.readUInt16LE(o);
  o += 2;
  if (o + topicLen > body.length || (priority !== 1 && priority !== 2 && priority !== 3)) return undefined;
  const topic = body.toString('utf8', o, o + topicLen);
  o += topicLen;
  const payload = Buffer.from(body.subarray(o));
  const rec: OutboxRecord = { seq, id, topic, payload, priority: priority as Priority, createdAt };
  if (!Number.isNaN(expiresAt)) rec.expiresAt = expiresAt;
  return { type: 'msg', rec, bytes, offset };
}

/** The frame starting at `o`, if a complete one with a matching CRC and a well-formed body is there. */
function frameAt(buf: Buffer, o: number): DecodedFrame | undefined {
  if (o + HEADER > buf.length) return undefined;
  const len = buf.readUInt32LE(o);
  if (len < 1 || len > MAX_BODY || o + HEADER + len > buf.length) return undefined;
  const type = buf[o + HEADER];
  // Cheap shape checks before the CRC, so scanning a corrupt range stays fast.
  if (!((type === TYPE_DEL && len === 9) || (type === TYPE_MSG && len >= 30))) return undefined;
  const body = buf.subarray(o + HEADER, o + HEADER + len);
  if (crc32(body) !== buf.readUInt32LE(o + 4)) return undefined;
  return decodeBody(body, HEADER + len, o);
}

/**
 * Decode every valid frame of a segment's bytes. A torn or corrupt frame does not end the segment:
 * decoding resynchronises on the next offset where a complete frame with a matching CRC starts, so
 * one bad sector mid-segment loses only the records it touched, not every record after it. (A
 * false match needs a 32-bit CRC to agree on bytes that also pass the shape checks.)
 */
export function decodeSegment(buf: Buffer): DecodedSegment {
  const frames: DecodedFrame[] = [];
  let o = 0;
  let validBytes = 0;
  let corruptRanges = 0;
  let skippedBytes = 0;
  while (o < buf.length) {
    const f = frameAt(buf, o);
    if (f) {
      frames.push(f);
      o += f.bytes;
      validBytes = o;
      continue;
    }
    // Corrupt or torn here: scan byte by byte for the next valid frame header.
    const start = o;
    let next: DecodedFrame | undefined;
    for (o = start + 1; o + HEADER < buf.length; o++) {
      next = frameAt(buf, o);
      if (next) break;
    }
    corruptRanges++;
    if (!next) {
      skippedBytes += buf.length - start;
      break;
    }
    skippedBytes += o - start;
  }
  return { frames, validBytes, torn: corruptRanges > 0, corruptRanges, skippedBytes };
}
