import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { encodeMessage } from '../../src/mqtt/outbox-codec.js';
import { FileOutboxStore } from '../../src/mqtt/outbox-file-store.js';
import { MemoryOutboxStore, memoryBacking, type OutboxRecord, type OutboxStore } from '../../src/mqtt/outbox-store.js';

/**
 * ONE contract suite every OutboxStore implementation must pass (docs/style.md rule 4, like MQTT.js's
 * abstract_store). A "place" is where a store keeps its data; `reopen` builds a new store on the
 * same place, as a restarted process would.
 */
interface Impl {
  name: string;
  newPlace(): unknown;
  open(place: unknown, segmentBytes?: number): OutboxStore;
  /** Simulate a crash in the middle of writing one more record (a torn tail). */
  tearTail(place: unknown): void;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const impls: Impl[] = [
  {
    name: 'MemoryOutboxStore',
    newPlace: () => memoryBacking(),
    open: (place) => new MemoryOutboxStore(place as ReturnType<typeof memoryBacking>),
    tearTail: () => undefined, // a memory store has no partial writes
  },
  {
    name: 'FileOutboxStore (fsync=always)',
    newPlace: () => {
      const d = mkdtempSync(join(tmpdir(), 'wfe-outbox-'));
      dirs.push(d);
      return d;
    },
    open: (place, segmentBytes = 1 << 20) =>
      new FileOutboxStore({ dir: place as string, fsync: 'always', fsyncIntervalMs: 20, groupCommitMs: 0, segmentBytes, logger: silentLogger() }),
    tearTail: (place) => {
      const dir = place as string;
      const last = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
      const frame = encodeMessage(rec(999_999));
      appendFileSync(join(dir, last), frame.subarray(0, frame.length - 7)); // power cut mid-write
    },
  },
  {
    name: 'FileOutboxStore (fsync=interval)',
    newPlace: () => {
      const d = mkdtempSync(join(tmpdir(), 'wfe-outbox-'));
      dirs.push(d);
      return d;
    },
    open: (place, segmentBytes = 1 << 20) =>
      new FileOutboxStore({ dir: place as string, fsync: 'interval', fsyncIntervalMs: 20, groupCommitMs: 0, segmentBytes, logger: silentLogger() }),
    tearTail: (place) => {
      const dir = place as string;
      const last = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
      const frame = encodeMessage(rec(999_999));
      appendFileSync(join(dir, last), frame.subarray(0, frame.length - 7)); // power cut mid-write
    },
  },
  {
    name: 'FileOutboxStore (fsync=never)',
    newPlace: () => {
      const d = mkdtempSync(join(tmpdir(), 'wfe-outbox-'));
      dirs.push(d);
      return d;
    },
    open: (place, segmentBytes = 1 << 20) =>
      new FileOutboxStore({ dir: place as string, fsync: 'never', fsyncIntervalMs: 20, groupCommitMs: 0, segmentBytes, logger: silentLogger() }),
    tearTail: (place) => {
      const dir = place as string;
      const last = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
      const frame = encodeMessage(rec(999_999));
      appendFileSync(join(dir, last), frame.subarray(0, frame.length - 7)); // power cut mid-write
    },
  },
];

function rec(seq: number, over: Partial<OutboxRecord> = {}): OutboxRecord {
  return { seq, id: `m-${seq}`, topic: `fire/detection/cam${seq % 3}`, payload: Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(seq % 50) })), priority: ((seq % 3) + 1) as 1 | 2 | 3, createdAt: 1_764_200_000_000 + seq, ...over };
}

for (const impl of impls) {
  describe(`OutboxStore contract: ${impl.name}`, () => {
    it('opens empty, then returns appended records in seq order after reopen, bytes intact', async () => {
      const place = impl.newPlace();
      const s = impl.open(place);
      expect(await s.open()).toEqual([]);
      const recs = [rec(1), rec(2, { expiresAt: 1_764_200_100_000 }), rec(3, { payload: Buffer.from([0, 255, 10, 13]) })];
      const ps = recs.map((r) => s.append(r));
      for (const p of ps) expect(p).toBeInstanceOf(Promise);
      await Promise.all(ps);
      await s.close();
      const again = impl.open(place);
      expect(await again.open()).toEqual(recs);
      await again.close();
    });

    it('removed records do not come back; order of the rest is kept', async () => {
      const place = impl.newPlace();
      const s = impl.open(place);
      await s.open();
      for (let i = 1; i <= 10; i++) void s.append(rec(i));
      await s.flush();
      for (const q of [1, 4, 5, 10]) s.remove(q);
      await s.close();
      const again = impl.open(place);
      expect((await again.open()).map((r) => r.seq)).toEqual([2, 3, 6, 7, 8, 9]);
      await again.close();
    });

    it('append resolves only after the record is recoverable (write-ahead)', async () => {
      const place = impl.newPlace();
      const s = impl.open(place);
      await s.open();
      const p = s.append(rec(7));
      expect(p).toBeInstanceOf(Promise);
      await p;
      // No close(): a reader opening the place now (as after SIGKILL) must already see it.
      const reader = impl.open(place);
      expect((await reader.open()).map((r) => r.seq)).toEqual([7]);
      await reader.close();
      await s.close();
    });

    it('a torn tail (crash mid-write) is ignored; everything before it survives', async () => {
      const place = impl.newPlace();
      const s = impl.open(place);
      await s.open();
      for (let i = 1; i <= 5; i++) void s.append(rec(i));
      await s.flush();
      s.remove(2);
      await s.flush();
      impl.tearTail(place);
      // no close: the process "died"
      const again = impl.open(place);
      expect((await again.open()).map((r) => r.seq)).toEqual([1, 3, 4, 5]);
      // ...and the store keeps working after recovery
      await again.append(rec(6));
      again.remove(1);
      await again.close();
      const third = impl.open(place);
      expect((await third.open()).map((r) => r.seq)).toEqual([3, 4, 5, 6]);
      await third.close();
    });

    it('many appends/removes across segments: exactly the live records survive, in order', async () => {
      const place = impl.newPlace();
      const s = impl.open(place, 4096);
      await s.open();
      const live = new Set<number>();
      for (let i = 1; i <= 600; i++) {
        void s.append(rec(i));
        live.add(i);
        if (i % 3 !== 0) {
          const victim = i - 1;
          if (live.has(victim)) {
            s.remove(victim);
            live.delete(victim);
          }
        }
        if (i % 50 === 0) await s.flush();
      }
      await s.close();
      const again = impl.open(place, 4096);
      expect((await again.open()).map((r) => r.seq)).toEqual([...live].sort((a, b) => a - b));
      await again.close();
    });

    it('append after close rejects instead of pretending to be durable', async () => {
      const s = impl.open(impl.newPlace());
      await s.open();
      await s.close();
      await expect(s.append(rec(1))).rejects.toThrow(/closed/);
    });
  });
}

describe('FileOutboxStore specifics', () => {
  it('deletes fully acknowledged segments and bounds disk use behind an old live record', async () => {
    const dir = impls[1].newPlace() as string;
    const s = impls[1].open(dir, 4096);
    await s.open();
    // One old priority-1 record stays live while thousands of others come and go.
    await s.append(rec(1, { priority: 1 }));
    for (let i = 2; i <= 3000; i++) {
      void s.append(rec(i));
      if (i % 20 === 0) {
        await s.flush();
        for (let j = Math.max(2, i - 19); j <= i; j++) s.remove(j);
      }
    }
    await s.flush();
    await s.flush();
    const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
    const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(files.length).toBeLessThanOrEqual(4);
    expect(bytes).toBeLessThan(4 * 4096 + 4096);
    expect(s.stats().fsyncs).toBeGreaterThan(0);
    await s.close();
    const again = impls[1].open(dir, 4096);
    expect((await again.open()).map((r) => r.seq)).toEqual([1]);
    await again.close();
  });

  it('one corrupt record mid-segment loses only that record: every valid record after it is recovered', async () => {
    const dir = impls[1].newPlace() as string;
    const s = impls[1].open(dir);
    await s.open();
    for (let i = 1; i <= 50; i++) void s.append(rec(i));
    await s.flush();
    s.remove(40);
    await s.flush();
    await s.close();
    // A bad sector in record 10: flip bytes inside its payload on disk.
    const seg = join(dir, readdirSync(dir).filter((f) => f.endsWith('.log')).sort()[0]);
    const buf = readFileSync(seg);
    const at = buf.indexOf(Buffer.from(rec(10).id));
    expect(at).toBeGreaterThan(0);
    buf[at + 2] ^= 0xff;
    writeFileSync(seg, buf);
    const again = impls[1].open(dir);
    const seqs = (await again.open()).map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1).filter((n) => n !== 10 && n !== 40));
    expect(again.stats().tornRecords).toBe(1);
    // ...and the recovered store keeps working
    await again.append(rec(51));
    again.remove(11);
    await again.close();
    const third = impls[1].open(dir);
    expect((await third.open()).map((r) => r.seq)).toEqual(seqs.filter((n) => n !== 11).concat(51));
    await third.close();
  });

  it('reports torn records in stats', async () => {
    const dir = impls[1].newPlace() as string;
    const s = impls[1].open(dir);
    await s.open();
    await s.append(rec(1));
    impls[1].tearTail(dir);
    const again = impls[1].open(dir);
    await again.open();
    expect(again.stats().tornRecords).toBe(1);
    await again.close();
    await s.close();
  });
});
