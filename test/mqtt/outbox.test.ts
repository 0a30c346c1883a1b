import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import type { Priority } from '../../src/mqtt/link.js';
import { Outbox } from '../../src/mqtt/outbox.js';
import { FileOutboxStore } from '../../src/mqtt/outbox-file-store.js';
import { MemoryOutboxStore, memoryBacking } from '../../src/mqtt/outbox-store.js';
import { priorityOf } from '../../src/mqtt/topic-rules.js';

function make(maxMessages: number, maxBytes = 1 << 20) {
  const backing = memoryBacking();
  const logger = memoryLogger('warn');
  const clock = new VirtualClock();
  const ob = new Outbox({ store: new MemoryOutboxStore(backing), maxMessages, maxBytes, logger, clock, onReady: () => undefined });
  let n = 0;
  const add = (topic: string, priority: Priority = priorityOf(topic), payload = 'x') =>
    ob.add({ id: `id-${++n}`, topic, payload: Buffer.from(payload), priority, createdAt: clock.wallNow() });
  const drain = () => {
    const out: string[] = [];
    for (let e = ob.takeNext(clock.wallNow()); e; e = ob.takeNext(clock.wallNow())) out.push(`${e.rec.topic}#${e.rec.id}`);
    return out;
  };
  return { ob, add, drain, logger, backing, clock };
}

describe('outbox bounds and priorities', () => {
  it('derives priorities from topics as docs/mqtt-core.md lists them', () => {
    expect(priorityOf('fire/trigger')).toBe(1);
    expect(priorityOf('pump/pi-a/event')).toBe(1);
    expect(priorityOf('pump/pi-a/ack')).toBe(1);
    expect(priorityOf('fire/detection/north')).toBe(2);
    expect(priorityOf('system/pi-a/connection')).toBe(3);
    expect(priorityOf('pump/pi-a/state')).toBe(3);
  });

  it('when full, drops the oldest of the lowest priority first, counts and logs it, keeps alarms', async () => {
    const t = make(5);
    await Promise.resolve();
    t.add('fire/trigger'); // id-1 p1
    t.add('system/n/connection'); // id-2 p3
    t.add('fire/detection/a'); // id-3 p2
    t.add('system/n/connection'); // id-4 p3
    t.add('fire/detection/b'); // id-5 p2
    t.add('fire/trigger'); // id-6 p1 → drops id-2 (oldest p3)
    t.add('pump/n/event'); // id-7 p1 → drops id-4
    t.add('fire/detection/c'); // id-8 p2 → drops id-3 (oldest p2; no p3 left)
    t.add('system/n/connection'); // id-9 p3 → lower than everything queued: itself dropped
    await Promise.resolve();
    expect(t.ob.dropped).toEqual({ full_p3: 3, full_p2: 1 });
    expect(t.drain()).toEqual(['fire/trigger#id-1', 'fire/detection/b#id-5', 'fire/trigger#id-6', 'pump/n/event#id-7', 'fire/detection/c#id-8']);
    expect(t.logger.lines.some((l) => l.msg === 'outbox dropped messages' && l.reason === 'full_p3')).toBe(true);
    // the store agrees with memory: dropped records are removed there too
    expect([...t.backing.records.values()].map((r) => r.id)).toEqual(['id-1', 'id-5', 'id-6', 'id-7', 'id-8']);
  });

  it('a full outbox of alarms drops the oldest alarm only for a newer alarm', async () => {
    const t = make(3);
    for (let i = 0; i < 5; i++) t.add('fire/trigger');
    expect(t.add('fire/detection/x')).toBe(false);
    await Promise.resolve();
    expect(t.ob.dropped).toEqual({ full_p1: 2, full_p2: 1 });
    expect(t.drain()).toEqual(['fire/trigger#id-3', 'fire/trigger#id-4', 'fire/trigger#id-5']);
  });

  it('is bounded by bytes too', async () => {
    const t = make(1000, 1000);
    for (let i = 0; i < 10; i++) t.add('system/n/connection', 3, 'y'.repeat(150)); // 169 bytes each
    await Promise.resolve();
    expect(t.ob.bytes).toBeLessThanOrEqual(1000);
    expect(t.ob.depth).toBe(5);
    expect(t.ob.dropped.full_p3).toBe(5);
    expect(t.add('system/n/connection', 3, 'z'.repeat(2000))).toBe(false);
    expect(t.ob.dropped.too_large).toBe(1);
  });

  it('sends in order, never past a message that is not durable yet, and requeues in-flight messages in order', async () => {
    const t = make(100);
    t.add('a/1');
    t.add('a/2');
    expect(t.ob.takeNext(0)).toBeUndefined(); // write-ahead not complete yet
    await Promise.resolve();
    t.add('a/3');
    await Promise.resolve();
    expect(t.drain()).toEqual(['a/1#id-1', 'a/2#id-2', 'a/3#id-3']);
    t.ob.ack(2);
    t.ob.requeueInflight();
    expect(t.drain()).toEqual(['a/1#id-1', 'a/3#id-3']);
  });

  it('drops expired messages instead of sending them late', async () => {
    const t = make(10);
    t.ob.add({ id: 'start', topic: 'fire/trigger', payload: Buffer.from('{}'), priority: 1, createdAt: t.clock.wallNow(), expiresAt: t.clock.wallNow() + 5000 });
    t.add('fire/trigger');
    await Promise.resolve();
    t.clock.advance(5000);
    expect(t.drain()).toEqual(['fire/trigger#id-1']);
    expect(t.ob.dropped).toEqual({ expired: 1 });
  });

  it('recovers queued messages from its store in order with fresh seqs after them', async () => {
    const t = make(10);
    t.add('a/1');
    t.add('a/2');
    await Promise.resolve();
    const ob2 = new Outbox({ store: new MemoryOutboxStore(t.backing), maxMessages: 10, maxBytes: 1 << 20, logger: t.logger, clock: t.clock, onReady: () => undefined });
    await ob2.open();
    expect(ob2.depth).toBe(2);
    expect(ob2.counts.recovered).toBe(2);
    ob2.add({ id: 'new', topic: 'a/3', payload: Buffer.from('x'), priority: 3, createdAt: 0 });
    await Promise.resolve();
    const order: number[] = [];
    for (let e = ob2.takeNext(0); e; e = ob2.takeNext(0)) order.push(e.rec.seq);
    expect(order).toEqual([1, 2, 3]);
  });

  it('never reuses a seq whose removal is still on disk (a message added after a restart survives the next one)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-seq-'));
    const clock = new VirtualClock();
    const logger = memoryLogger('warn');
    const open = async () => {
      const store = new FileOutboxStore({ dir, fsync: 'never', fsyncIntervalMs: 1000, groupCommitMs: 0, segmentBytes: 1 << 20, logger });
      const ob = new Outbox({ store, maxMessages: 10, maxBytes: 1 << 20, logger, clock, onReady: () => undefined });
      await ob.open();
      return { store, ob };
    };
    let { store, ob } = await open();
    const now = clock.wallNow();
    ob.add({ id: 'A', topic: 'fire/trigger', payload: Buffer.from('A'), priority: 1, createdAt: now });
    ob.add({ id: 'B', topic: 'fire/trigger', payload: Buffer.from('B'), priority: 1, createdAt: now, expiresAt: now + 50 });
    await ob.flush();
    expect(ob.takeNext(clock.wallNow())?.rec.id).toBe('A'); // in flight, never acknowledged
    clock.advance(100);
    expect(ob.takeNext(clock.wallNow())).toBeUndefined(); // B, the newest, expired: its removal is written
    await ob.flush();
    await store.close();
    ({ store, ob } = await open()); // restart: only A is queued, B's removal is still on disk
    ob.add({ id: 'C', topic: 'fire/trigger', payload: Buffer.from('C'), priority: 1, createdAt: clock.wallNow() });
    await ob.flush();
    await store.close();
    ({ store, ob } = await open());
    const ids: string[] = [];
    for (let e = ob.takeNext(clock.wallNow()); e; e = ob.takeNext(clock.wallNow())) ids.push(e.rec.id);
    expect(ids).toEqual(['A', 'C']);
    await store.close();
  });
});
