import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { Inbound } from '../../src/mqtt/inbound.js';
import { jsonParser } from '../../src/mqtt/index.js';
import { z } from 'zod';

// Issue 12 item 6: rejected inbound messages are logged once per reason per interval with the
// count of what was suppressed, whatever the topics: junk on 20 000 distinct topics used to be a
// line per topic (the throttle was keyed by topic).

describe('inbound rejection log under a flood', () => {
  it('20k junk messages on distinct topics: one line per reason per interval, counters exact', () => {
    const clock = new VirtualClock();
    const logger = memoryLogger('warn');
    const inbound = new Inbound({ prefix: '', maxBytes: 1024, logger, clock, logIntervalMs: 30_000, addFilter: () => undefined, removeFilter: () => undefined });
    inbound.add('fire/detection/+', 'consensus', jsonParser(z.object({ n: z.number() })), () => undefined);
    for (let i = 0; i < 20_000; i++) {
      const topic = `fire/detection/cam${i}`;
      if (i % 2) inbound.dispatch(topic, Buffer.from('not json'), false, clock.wallNow());
      else inbound.dispatch(topic, Buffer.alloc(2000, 0x20), false, clock.wallNow());
      clock.advance(5); // 100 s in all: four 30 s intervals
    }
    expect(inbound.rejected).toEqual({ non_json: 10_000, oversize: 10_000 });
    const lines = logger.lines.filter((l) => l.msg === 'inbound message rejected');
    expect(lines.length).toBeLessThanOrEqual(2 * 4);
    expect(lines.length).toBeGreaterThanOrEqual(2 * 3);
    // Each line after the first of its reason says how many were suppressed since the previous one.
    const nonJson = lines.filter((l) => l.code === 'non_json');
    expect(nonJson[0].suppressedSinceLastLine).toBe(0);
    expect(Number(nonJson[1].suppressedSinceLastLine)).toBeGreaterThan(2000);
  });
});
