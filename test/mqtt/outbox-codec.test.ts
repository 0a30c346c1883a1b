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

  it('a flipped bit is detected by the CRC; decoding resynchronises on the next valid frame (only that record is lost)', () => {
    const a = encodeMessage(rec(1));
    const b = Buffer.from(encodeMessage(rec(2)));
    b[b.length - 3] ^= 0x10;
    const d = decodeSegment(Buffer.concat([a, b, encodeMessage(rec(3)), encodeRemove(1), encodeMessage(rec(4))]));
    expect(d.frames.map((f) => (f.type === 'msg' ? f.rec.seq : `del ${f.seq}`))).toEqual([1, 3, 'del 1', 4]);
    expect(d.torn).toBe(true);
    expect(d.corruptRanges).toBe(1);
    expect(d.skippedBytes).toBe(b.length);
  });

  it('a corrupt length field, a zeroed sector and garbage mid-segment each skip only the damaged bytes', () => {
    const frames = [1, 2, 3, 4, 5, 6].map((n) => encodeMessage(rec(n)));
    const lenHit = frames.map((f) => Buffer.from(f));
    lenHit[1].writeUInt32LE(0xfffffff0, 0); // a length that runs past the end
    const zeroed = frames.map((f) => Buffer.from(f));
    zeroed[2].fill(0, 3, 20);
    const withGarbage = [frames[0], Buffer.from('\u0001garbage that is no frame at all\u0000\u0000'), ...frames.slice(1)];
    for (const [parts, lost] of [[lenHit, [2]], [zeroed, [3]], [withGarbage, []]] as const) {
      const d = decodeSegment(Buffer.concat(parts as Buffer[]));
      expect(d.frames.map((f) => (f.type === 'msg' ? f.rec.seq : -1))).toEqual([1, 2, 3, 4, 5, 6].filter((n) => !(lost as readonly number[]).includes(n)));
      expect(d.corruptRanges).toBe(1);
      // offsets point at the frames themselves
      for (const f of d.frames) expect(Buffer.concat(parts as Buffer[]).readUInt32LE(f.offset)).toBe(f.bytes - 8);
    }
  });
});
