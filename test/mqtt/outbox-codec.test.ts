import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32js, decodeSegment, encodeMessage, encodeRemove } from '../../src/mqtt/outbox-codec.js';
import type { OutboxRecord } from '../../src/mqtt/outbox-store.js';

const rec = (seq: number): OutboxRecord => ({ seq, id: `id-${seq}`, topic: 'fire/trigger', payload: Buffer.from(`{"n":${seq}}`), priority: 1, createdAt: 1000 + seq, expiresAt: 5000 });

describe('outbox record framing', () => {
  it('portable CRC-32 matches zlib (known vector and random data)', () => {
    expect(crc32js(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    expect(crc32js(data)).toBe(zlibCrc32(data));
    expect(crc32(data)).toBe(zlibCrc32(data));
  });

  it('round-trips messages and tombstones', () => {
    const buf = Buffer.concat([encodeMessage(rec(1)), encodeRemove(1), encodeMessage(rec(2))]);
    const d = decodeSegment(buf);
    expect(d.torn).toBe(false);
    expect(d.frames.map((f) => (f.type === 'msg' ? f.rec : f.seq))).toEqual([rec(1), 1, rec(2)]);
  });

  it('a cut at ANY byte of the last frame keeps exactly the complete frames before it', () => {
    const a = encodeMessage(rec(1));
    const b = encodeMessage(rec(2));
    for (let cut = 1; cut < b.length; cut++) {
      const d = decodeSegment(Buffer.concat([a, b.subarray(0, cut)]));
      expect(d.torn).toBe(true);
      expect(d.validBytes).toBe(a.length);
      expect(d.frames).toHaveLength(1);
    }
  });

  it('a flipped bit is detected by the CRC and stops reading there', () => {
    const a = encodeMessage(rec(1));
    const b = Buffer.from(encodeMessage(rec(2)));
    b[b.length - 3] ^= 0x10;
    const d = decodeSegment(Buffer.concat([a, b, encodeMessage(rec(3))]));
    expect(d.frames).toHaveLength(1);
    expect(d.torn).toBe(true);
  });
});
