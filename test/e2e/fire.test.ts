import { describe, expect, it } from 'vitest';
import { DEFAULT_PINS } from '../../src/pump/index.js';
import { FIRE_CAMERAS, FOOTAGE, useNodeOnOwnBroker, waitFor } from './harness.js';

// End to end in one process (issue 7): real Mosquitto, a `dir://` camera (sharp) and an `.mp4`
// camera (real ffmpeg), the default model in the detector worker, consensus threshold 2, the pump
// on mock GPIO. The pins are read from the mock driver's timeline.
describe('e2e: two cameras → consensus → pump', () => {
  const startNode = useNodeOnOwnBroker();

  it('fire on both cameras: a trigger is decided and the mock pins run the start sequence', async () => {
    const n = await startNode({ threshold: 2, cameras: FIRE_CAMERAS });
    expect(await waitFor(() => n.mainValveOpenedAt() !== null, 40_000)).toBe(true);
    // Both cameras contributed: threshold 2 cannot be met by one.
    expect(n.triggers.length).toBeGreaterThanOrEqual(1);
    expect([...n.triggers[0].consensus_cameras ?? []].sort()).toEqual(['east', 'north']);
    // The start sequence on the pins: main valve first, then ignition on, then the crank pulse.
    expect(await waitFor(() => n.gpio.timeline.some((c) => c.pin === DEFAULT_PINS.ignitionStart && c.level === 0 && c.kind === 'output' && c.t > (n.mainValveOpenedAt() ?? Infinity)), 10_000)).toBe(true);
    const rising = (pin: number) => n.gpio.timeline.find((c) => c.pin === pin && c.level === 1 && c.kind === 'output')?.t ?? Infinity;
    expect(rising(DEFAULT_PINS.mainValve)).toBeLessThan(rising(DEFAULT_PINS.ignitionOn));
    expect(rising(DEFAULT_PINS.ignitionOn)).toBeLessThanOrEqual(rising(DEFAULT_PINS.ignitionStart));
    expect(rising(DEFAULT_PINS.ignitionStart)).toBeLessThan(Infinity);
    // The figure the issue asks for (printed, never asserted: wall-clock speed varies by machine).
    const first = n.firstFrameAt();
    const valve = n.mainValveOpenedAt();
    if (first !== null && valve !== null) {
      console.log(`[e2e figure] first fire frame → main valve open: ${((valve - first) / 1000).toFixed(2)} s at 2 fps (2 cameras, threshold 2; goal ≤ 5 s)`);
    }
  });
});

describe('e2e: hard negatives', () => {
  const startNode = useNodeOnOwnBroker();

  it('a no-fire clip with hard negatives (autumn leaves, red lights, orange rock) on both cameras never triggers', async () => {
    const n = await startNode({
      threshold: 2,
      cameras: [
        { id: 'north', url: `dir://${FOOTAGE.negativeDir}`, loop: false },
        { id: 'east', url: `dir://${FOOTAGE.negativeDir}`, loop: false },
      ],
    });
    // The clip is 16 frames at 2 fps (8 s, the same duration as the fire clips); wait for the
    // cameras to reach its end (the camera reports offline when a non-looping folder ends).
    const frames = (): number => {
      const cams = (n.app.snapshot().camera as { cameras: Record<string, { frames: number }> } | undefined)?.cameras ?? {};
      return Math.min(...Object.values(cams).map((c) => c.frames), Infinity);
    };
    expect(await waitFor(() => frames() >= 16 && frames() !== Infinity, 40_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(n.triggers).toEqual([]);
    expect(n.mainValveOpenedAt()).toBeNull();
    expect(Object.values(n.gpio.levels()).every((l) => l === 0)).toBe(true);
  });
});
