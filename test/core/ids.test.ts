import { describe, expect, it } from 'vitest';
import { createIdSource, stampEnvelope } from '../../src/core/ids.js';

describe('id source (src/core/ids.ts)', () => {
  it('never repeats an id within a boot, and its counter only grows', () => {
    const ids = createIdSource('b0');
    const seen = Array.from({ length: 5000 }, () => ids.next());
    expect(new Set(seen).size).toBe(seen.length);
    const counters = seen.map((id) => {
      expect(id.startsWith('b0-')).toBe(true);
      return parseInt(id.slice(3), 36);
    });
    expect(counters[0]).toBe(1);
    for (let i = 1; i < counters.length; i++) expect(counters[i]).toBe(counters[i - 1] + 1);
  });

  it('two boots (two sources, as after a restart) draw distinct boot ids, so their ids never collide', () => {
    const bootIds = new Set(Array.from({ length: 200 }, () => createIdSource().bootId));
    expect(bootIds.size).toBe(200);
    for (const b of bootIds) expect(b).toMatch(/^[0-9a-f]{12}$/);
    const a = createIdSource();
    const b = createIdSource();
    const fromA = new Set(Array.from({ length: 100 }, () => a.next()));
    for (let i = 0; i < 100; i++) expect(fromA.has(b.next())).toBe(false);
  });

  it('stamps the docs/topics.md envelope from the source, ts in epoch seconds', () => {
    const ids = createIdSource('b1');
    expect(stampEnvelope(ids, 'pi-1', 1_700_000_000_500)).toEqual({ v: 1, id: 'b1-1', node_id: 'pi-1', ts: 1_700_000_000.5 });
    expect(stampEnvelope(ids, 'pi-1', 0).id).toBe('b1-2');
  });
});
