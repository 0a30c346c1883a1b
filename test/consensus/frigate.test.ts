import { describe, expect, it } from 'vitest';
import { smallestSizeHolding } from '../../src/consensus/inputs/frigate-resolution.js';
import { evaluateHealth } from '../../src/telemetry/health.js';
import { isForeignTopic } from '../../src/topics/topics.js';
import { Scenario } from './harness.js';

// Frigate as it really sends (issue 14 "Frigate"): updates every ~5–7 s, pixel boxes of the camera's
// detect size (often 1080p, not the 1280x720 default), a topic prefix per server and an
// availability topic with a will. All in virtual time through the consensus part's MQTT inputs.
const T1 = { threshold: 1 };
const frameOf = (s: Scenario, cam: string) => s.service.snapshot().cameras.find((c) => c.id === cam);

/** A Frigate `update` for a smoke object whose box side grows by `step` px per update. */
function update(i: number, o: { camera?: string; x0?: number; y0?: number; side?: number; step?: number; label?: string } = {}) {
  const x0 = o.x0 ?? 400;
  const y0 = o.y0 ?? 200;
  const side = (o.side ?? 100) + i * (o.step ?? 12);
  return { type: 'update', before: {}, after: { id: `${o.camera ?? 'yard'}-obj-1`, camera: o.camera ?? 'yard', label: o.label ?? 'smoke', top_score: 0.86, box: [x0, y0, x0 + side, y0 + side] } };
}

function frigateRun(s: Scenario, cadenceS: number, n: number, o: Parameters<typeof update>[1] = {}, topic = 'frigate/events'): Scenario {
  for (let i = 0; i < n; i++) s.send(topic, update(i, o)).wait(cadenceS);
  return s;
}

describe('Frigate cadence: the growth rule works at 5–7 s between updates', () => {
  it.each([5, 6.5, 7])('9 growing smoke updates %s s apart trigger', (cadence) => {
    const s = frigateRun(new Scenario(T1), cadence, 9);
    expect(s.triggers).toHaveLength(1);
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['yard']);
  });

  it.each([5, 7])('a steady (not growing) Frigate object %s s apart never triggers', (cadence) => {
    const s = frigateRun(new Scenario(T1), cadence, 12, { step: 0 });
    expect(s.triggers).toHaveLength(0);
    expect(frameOf(s, 'yard')?.tracks).toBe(1);
  });

  it('own detections keep their own window: 6 growing own detections 7 s apart do not trigger', () => {
    const s = new Scenario(T1);
    for (let i = 0; i < 6; i++) s.own('cam', [{ label: 'fire', score: 0.9, box: [0.1, 0.1, 0.2 + 0.02 * i, 0.2 + 0.02 * i], track: 1 }]).wait(7);
    expect(s.triggers).toHaveLength(0);
  });

  it('the Frigate window and W are configurable', () => {
    // With W = 3 (6 events) in a 30 s window, 7 s updates can never fill the rule: no trigger.
    const strict = frigateRun(new Scenario({ ...T1, frigate: { windowSeconds: 30, movingAverageWindow: 3 } }), 7, 9);
    expect(strict.triggers).toHaveLength(0);
  });
});

describe('Frigate detect size: learned from the boxes when not configured', () => {
  it('a 1080p Frigate camera is not refused: its size is learned, it triggers, health says what to set', () => {
    const s = frigateRun(new Scenario(T1), 5, 9, { x0: 1500, y0: 800 });
    expect(s.triggers).toHaveLength(1);
    expect(s.rejected().box_outside_frame ?? 0).toBe(0);
    const snap = s.service.snapshot() as { frigateSizesLearned: Array<{ camera: string; learned: { width: number; height: number } }> };
    expect(snap.frigateSizesLearned).toEqual([expect.objectContaining({ camera: 'yard', learned: { width: 1920, height: 1080 } })]);
    const h = evaluateHealth({ mqtt: null, cameras: [], detector: null, consensus: { state: 'idle', frigateSizesLearned: snap.frigateSizesLearned as never }, pump: null, listeners: [], clockSync: 'synced', sourceErrors: [] });
    expect(h.status).toBe('degraded');
    expect(h.problems[0]).toMatchObject({ code: 'frigate_size_learned', subject: 'yard' });
    expect(h.problems[0].message).toMatch(/consensus\.cameras\.yard: \{width, height\}/);
    // The evidence areas are fractions of 1920x1080: the first boxes (100-112 px a side) are below
    // 100² / (1280·720) = 0.0109 only because they were divided by 1920x1080.
    const early = s.triggers[0].payload.evidence?.[0].early_median_area ?? 0;
    expect(early).toBeGreaterThanOrEqual((100 * 100) / (1920 * 1080));
    expect(early).toBeLessThan((100 * 100) / (1280 * 720));
  });

  it('tracks sampled at the assumed size restart when the size is learned (two scales never compare)', () => {
    const s = new Scenario(T1);
    // Inside 1280x720 at first (assumed), then the object reaches x2 = 1300: the frame is larger.
    for (let i = 0; i < 3; i++) s.send('frigate/events', update(i, { x0: 1000, y0: 300 })).wait(5);
    expect(frameOf(s, 'yard')?.tracks).toBe(1);
    s.send('frigate/events', update(0, { x0: 1200, y0: 300 }));
    const snap = s.service.snapshot() as { frigateSizesLearned: unknown[]; cameras: Array<{ id: string; tracks: number }> };
    expect(snap.frigateSizesLearned).toHaveLength(1);
    expect(frameOf(s, 'yard')?.tracks).toBe(1); // the old track was dropped, the new box started one
    expect(s.triggers).toHaveLength(0);
  });

  it('a configured size is authoritative: boxes beyond it are refused, nothing is learned', () => {
    const s = frigateRun(new Scenario({ ...T1, frigateResolution: { width: 1280, height: 720 } }), 5, 9, { x0: 1500, y0: 800 });
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected().box_outside_frame).toBe(9);
    const perCam = frigateRun(new Scenario({ ...T1, cameras: { yard: { width: 1280, height: 720 } } }), 5, 3, { x0: 1500, y0: 800 });
    expect(perCam.rejected().box_outside_frame).toBe(3);
    const off = frigateRun(new Scenario({ ...T1, frigate: { learnResolution: false } }), 5, 3, { x0: 1500, y0: 800 });
    expect(off.rejected().box_outside_frame).toBe(3);
  });

  it('the learned size is the smallest common one holding the box', () => {
    const base = { width: 1280, height: 720 };
    expect(smallestSizeHolding(1700, 950, base)).toEqual({ width: 1920, height: 1080 });
    expect(smallestSizeHolding(1281, 700, base)).toEqual({ width: 1920, height: 1080 });
    expect(smallestSizeHolding(1200, 900, base)).toEqual({ width: 1280, height: 960 });
    expect(smallestSizeHolding(3000, 2000, base)).toEqual({ width: 3840, height: 2160 });
    expect(smallestSizeHolding(9000, 100, base)).toBeUndefined();
  });
});

describe('Frigate servers: topic prefixes and availability', () => {
  it('cameras of an unavailable Frigate do not vote; they vote again when it is back', () => {
    const s = new Scenario(T1).send('frigate/available', 'offline');
    frigateRun(s, 5, 9);
    expect(s.triggers).toHaveLength(0);
    s.send('frigate/available', 'online');
    frigateRun(s, 5, 9, { camera: 'yard' });
    expect(s.triggers).toHaveLength(1);
  });

  it('a second Frigate server under its own prefix is read; another server going offline does not silence it', () => {
    const s = new Scenario({ ...T1, frigate: { topicPrefixes: ['frigate', 'frigate2'] } }).send('frigate/available', 'offline');
    frigateRun(s, 5, 9, { camera: 'barn' }, 'frigate2/events');
    expect(s.triggers).toHaveLength(1);
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['barn']);
    // An unconfigured prefix is not read.
    const other = frigateRun(new Scenario(T1), 5, 9, { camera: 'barn' }, 'frigate3/events');
    expect(other.triggers).toHaveLength(0);
  });

  it('Frigate prefixes are never given the site prefix, and must start with "frigate"', () => {
    expect(isForeignTopic('frigate2/events')).toBe(true);
    expect(isForeignTopic('frigate-barn/available')).toBe(true);
    expect(isForeignTopic('fire/trigger')).toBe(false);
    expect(() => new Scenario({ frigate: { topicPrefixes: ['nvr'] } })).toThrow(/starts with .{0,2}frigate/);
    expect(() => new Scenario({ frigate: { topicPrefixes: ['frigate', 'frigate'] } })).toThrow(/must not repeat/);
  });
});
