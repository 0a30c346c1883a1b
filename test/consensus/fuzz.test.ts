import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scenario } from './harness.js';

/**
 * docs/design.md "Failure model": bad input is rejected, counted, and never crashes the process. Random
 * JSON (and random bytes) on every consensus topic never throws, and without a genuine growing
 * series from enough cameras it never triggers.
 */
const topics = ['fire/detection', 'fire/detection/cam', 'frigate/events', 'camera/cam/status', 'system/n/availability'];

describe('fuzzed inputs', () => {
  it('arbitrary JSON never throws and never triggers', () => {
    const s = new Scenario({ threshold: 2 });
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.jsonValue(), (topic, value) => {
        s.send(topic, JSON.stringify(value)).wait(0.05);
      }),
      { numRuns: 2000 },
    );
    expect(s.triggers).toHaveLength(0);
  });

  it('random bytes never throw', () => {
    const s = new Scenario();
    fc.assert(
      fc.property(fc.constantFrom(...topics), fc.uint8Array({ maxLength: 200 }), (topic, bytes) => {
        s.send(topic, Buffer.from(bytes));
      }),
      { numRuns: 1000 },
    );
    expect(s.triggers).toHaveLength(0);
  });

  it('near-valid legacy and Frigate payloads with random fields never throw', () => {
    const s = new Scenario({ threshold: 3 });
    const anyNum = fc.oneof(fc.double(), fc.integer(), fc.constant(0.5), fc.constant(-1), fc.constant(2000));
    const box = fc.oneof(fc.array(anyNum, { maxLength: 6 }), fc.constant(null), fc.string());
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), anyNum, box, fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)), (cam, conf, b, oid) => {
        s.send('fire/detection', JSON.stringify({ camera_id: cam, confidence: conf, bbox: b, object_id: oid }));
        s.send('frigate/events', JSON.stringify({ type: 'update', after: { camera: cam, label: 'fire', top_score: conf, box: b, id: oid } }));
        s.wait(0.01);
      }),
      { numRuns: 1000 },
    );
    // Random fields can form a valid series by chance, so only boundedness is asserted here.
    expect(s.service.metrics().cameras).toBeLessThanOrEqual(64);
  });
});
