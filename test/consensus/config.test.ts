import { describe, expect, it } from 'vitest';
import { consensusConfigSchema } from '../../src/consensus/config.js';

/** docs/consensus.md "Defaults": every key, default and range; refusals name the allowed range. */
const issues = (input: unknown) => {
  const r = consensusConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ key: i.path.join('.'), message: i.message }));
};

describe('consensus config', () => {
  it('has the spec defaults', () => {
    expect(consensusConfigSchema.parse(undefined)).toEqual({
      threshold: 2,
      windowSeconds: 30,
      cooldownSeconds: 300,
      minConfidence: 0.7,
      minAreaRatio: 0.001,
      maxAreaRatio: 0.8,
      areaIncreaseRatio: 1.2,
      movingAverageWindow: 3,
      persistSeconds: 0,
      cameraTimeoutSeconds: 60,
      countLabels: ['fire', 'smoke'],
      // docs/consensus.md's 1280x720 is FRIGATE_DEFAULT_RESOLUTION, assumed while frigateResolution is unset.
      frigate: { topicPrefixes: ['frigate'], windowSeconds: 60, movingAverageWindow: 2, learnResolution: true },
      triggerTtlSeconds: 120,
      triggerAck: { required: true, resendSeconds: 10 },
      evaluateIntervalMs: 1000,
      maxCameras: 64,
      maxTracksPerCamera: 32,
      trackIouThreshold: 0.3,
    });
  });

  it.each([
    ['threshold', 0, 'from 1 to 16'],
    ['threshold', 17, 'from 1 to 16'],
    ['threshold', 2.5, 'integer from 1 to 16'],
    ['threshold', 'abc', 'from 1 to 16'],
    ['windowSeconds', 0, 'from 1 to 600'],
    ['windowSeconds', 'abc', 'from 1 to 600'],
    ['cooldownSeconds', -5, 'from 0 to 3600'],
    ['minConfidence', 1.5, 'from 0 to 1'],
    ['movingAverageWindow', 20, 'from 1 to 10'],
    ['persistSeconds', 3601, 'from 0 to 3600'],
    ['triggerTtlSeconds', 5, 'from 10 to 3600'],
    ['maxCameras', 0, 'from 1 to 1024'],
    ['trackIouThreshold', 0, 'from 0.01 to 1'],
    ['windowSeconds', Number.NaN, 'from 1 to 600'],
  ])('refuses %s = %j (nothing clamped)', (key, value, allowed) => {
    expect(issues({ [key]: value })).toEqual([{ key, message: expect.stringContaining(allowed) }]);
  });

  it('refuses minAreaRatio >= maxAreaRatio', () => {
    expect(issues({ minAreaRatio: 0.5, maxAreaRatio: 0.5 })).toEqual([{ key: 'minAreaRatio', message: 'must be below maxAreaRatio (0.5)' }]);
  });

  it('refuses a threshold above the number of listed cameras', () => {
    expect(issues({ threshold: 3, cameras: { a: {}, b: {} } })).toEqual([{ key: 'threshold', message: expect.stringContaining('only 2 cameras are listed') }]);
    expect(issues({ threshold: 2, cameras: { a: {}, b: {} } })).toEqual([]);
  });

  it('validates cameras: ids, resolution pairs, masks, zones, unknown keys', () => {
    expect(issues({ threshold: 1, cameras: { 'bad id': {} } })[0].key).toBe('cameras.bad id');
    expect(issues({ threshold: 1, cameras: { a: { width: 640 } } })).toEqual([{ key: 'cameras.a.height', message: expect.stringContaining('together') }]);
    expect(issues({ threshold: 1, cameras: { a: { masks: [[0.5, 0.5, 0.2, 0.2]] } } })[0].key).toBe('cameras.a.masks.0');
    expect(issues({ threshold: 1, cameras: { a: { masks: [[[0, 0], [1, 1]]] } } })[0].key).toBe('cameras.a.masks.0');
    expect(issues({ threshold: 1, cameras: { a: { zones: 'zone_a' } } })[0].key).toBe('cameras.a.zones');
    expect(issues({ thresold: 2 })[0].message).toMatch(/Unrecognized key/);
    const ok = consensusConfigSchema.parse({ threshold: 1, cameras: { a: { width: 640, height: 360, masks: [[0, 0, 0.2, 0.2], [[0, 0], [1, 0], [0, 1]]], zones: ['z'] } } });
    expect(ok.cameras?.a).toEqual({ width: 640, height: 360, masks: [[0, 0, 0.2, 0.2], [[0, 0], [1, 0], [0, 1]]], zones: ['z'] });
  });

  it('reports every problem at once', () => {
    expect(issues({ threshold: 0, windowSeconds: 0, cooldownSeconds: -1 }).map((i) => i.key).sort()).toEqual(['cooldownSeconds', 'threshold', 'windowSeconds']);
  });
});
