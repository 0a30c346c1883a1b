/**
 * The ONE contract every frame source implementation runs (docs/style.md rule 4). A case provides a
 * finite input of `frames` solid-colour frames (`rgb`), a looping variant and a missing input.
 */
import { describe, expect, it } from 'vitest';
import type { FrameSource, SourceEnd, SourceFactory, SourceSpec } from '../../src/capture/source.js';

/** What an implementation supplies to the contract. */
export interface ContractCase {
  factory: SourceFactory;
  /** A finite input with exactly `frames` frames of colour `rgb`. */
  finite: () => SourceSpec;
  frames: number;
  rgb: [number, number, number];
  /** The same input, looping. */
  looping: () => SourceSpec;
  /** An input that does not exist. */
  missing: () => SourceSpec;
  /** Text the missing-input error must contain. */
  missingMessage: RegExp;
}

interface Run {
  frames: Uint8Array[];
  sizes: number[];
  end: Promise<SourceEnd>;
  source: FrameSource;
  afterStop: number;
  stopped: boolean;
}

function run(c: ContractCase, spec: SourceSpec, keep = 2): Run {
  let resolveEnd!: (e: SourceEnd) => void;
  const r: Run = { frames: [], sizes: [], end: new Promise((res) => (resolveEnd = res)), source: null as unknown as FrameSource, afterStop: 0, stopped: false };
  r.source = c.factory(spec, {
    onFrame: (f) => {
      if (r.stopped) r.afterStop++;
      r.sizes.push(f.length);
      // The buffer is only valid during the call: copy the first few.
      if (r.frames.length < keep) r.frames.push(Uint8Array.from(f));
    },
    onEnd: (e) => resolveEnd(e),
  });
  r.source.start();
  return r;
}

const until = async (cond: () => boolean, ms: number) => {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
};

/** Registers the contract tests for one implementation. */
export function sourceContract(name: string, c: ContractCase): void {
  describe(`frame source contract: ${name}`, () => {
    it('delivers exactly the input frames, each width×height×3 bytes of the right colour, then ends with eof', async () => {
      const spec = c.finite();
      const r = run(c, spec);
      const end = await r.end;
      expect(end.kind).toBe('eof');
      expect(r.sizes).toEqual(new Array(c.frames).fill(spec.width * spec.height * 3));
      const f = r.frames[0];
      const mid = ((spec.height >> 1) * spec.width + (spec.width >> 1)) * 3;
      for (let ch = 0; ch < 3; ch++) expect(Math.abs(f[mid + ch] - c.rgb[ch])).toBeLessThan(12);
      await r.source.stop();
    });

    it('loops when asked, and stop() ends it with no callback afterwards', async () => {
      const r = run(c, c.looping());
      let ended = false;
      void r.end.then(() => (ended = true));
      await until(() => r.sizes.length > c.frames + 2, 15_000);
      expect(r.sizes.length).toBeGreaterThan(c.frames + 2);
      await r.source.stop();
      r.stopped = true;
      await new Promise((res) => setTimeout(res, 300));
      expect(r.afterStop).toBe(0);
      expect(ended).toBe(false);
    });

    it('a missing input ends with a clear error and no frames, without throwing', async () => {
      const r = run(c, c.missing());
      const end = await r.end;
      expect(end.kind).toBe('error');
      expect(end.message).toMatch(c.missingMessage);
      expect(r.sizes).toEqual([]);
      await r.source.stop();
    });
  });
}
