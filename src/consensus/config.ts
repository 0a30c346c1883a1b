import { z } from 'zod';
import { CAMERA_ID_RE } from '../topics/topics.js';

/**
 * `consensus.*` config section (docs/consensus.md "Defaults"). Owned by src/consensus.
 * Every range is explicit and out-of-range values are refused with a message naming the allowed
 * range (src/config adds the key and the value); nothing is clamped, unlike the reference, which
 * silently turned `CONSENSUS_THRESHOLD=0` into 1 (scenarios-consensus 68).
 * zod 4: nested objects use `.prefault({})` so inner defaults apply.
 */

/**
 * A number in [min, max] (integer when `int`), every failure naming the allowed range. Plain
 * min/max checks (not a refinement) so the generated configuration reference shows the range.
 */
function ranged(min: number, max: number, opts: { int?: boolean; unit?: string } = {}) {
  const msg = `must be ${opts.int ? 'an integer' : 'a number'} from ${min} to ${max}${opts.unit ? ` ${opts.unit}` : ''}`;
  const base = z.number({ error: msg });
  return (opts.int ? base.int({ error: msg }) : base).min(min, { error: msg }).max(max, { error: msg });
}

/** Frigate's default `detect` size (Frigate docs), assumed when nothing is configured. */
export const FRIGATE_DEFAULT_RESOLUTION = { width: 1280, height: 720 } as const;

/** Frigate topic prefixes we accept: they must start with `frigate`, the part never prefixed by mqtt.topicPrefix. */
export const FRIGATE_PREFIX_RE = /^frigate[A-Za-z0-9_-]*$/;

/** A normalised coordinate. */
const coord = ranged(0, 1);

/** Rectangle mask `[x1, y1, x2, y2]`, normalised, x1 < x2 and y1 < y2. */
export const rectMaskSchema = z
  .tuple([coord, coord, coord, coord], { error: 'a rectangle mask is [x1, y1, x2, y2] with coordinates in [0, 1]' })
  .refine((r) => r[0] < r[2] && r[1] < r[3], { message: 'a rectangle mask needs x1 < x2 and y1 < y2' });

/** Polygon mask `[[x, y], ...]`, normalised, at least 3 points. */
export const polygonMaskSchema = z
  .array(z.tuple([coord, coord]), { error: 'a polygon mask is a list of [x, y] points in [0, 1]' })
  .min(3, { message: 'a polygon mask needs at least 3 points' })
  .max(64, { message: 'a polygon mask has at most 64 points' });

/** One mask: a rectangle or a polygon (a detection whose box centre is inside is ignored). */
export const maskSchema = z.union([rectMaskSchema, polygonMaskSchema], {
  error: 'a mask is a rectangle [x1, y1, x2, y2] or a polygon [[x, y], [x, y], [x, y], ...], normalised to [0, 1]',
});
export type MaskConfig = z.infer<typeof maskSchema>;

/** One listed camera: producer resolution for pixel boxes, masks, zones for the trigger. */
export const consensusCameraSchema = z
  .strictObject({
    width: ranged(1, 16384, { int: true, unit: 'pixels' }).optional().describe('Producer frame width for pixel boxes.'),
    height: ranged(1, 16384, { int: true, unit: 'pixels' }).optional().describe('Producer frame height for pixel boxes.'),
    masks: z.array(maskSchema).max(32, { message: 'at most 32 masks a camera' }).default([]).describe('Ignored regions (box centre inside).'),
    zones: z
      .array(z.string().min(1).max(64), { error: 'zones is a list of zone names' })
      .max(32)
      .default([])
      .describe('Zones listed in the trigger when this camera votes.'),
  })
  .superRefine((c, ctx) => {
    // A half-specified resolution would silently mix the configured side with the 1920x1080 fallback.
    if ((c.width === undefined) !== (c.height === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.width === undefined ? 'width' : 'height'], message: 'width and height are set together (or neither)' });
    }
  });
export type ConsensusCameraConfig = z.infer<typeof consensusCameraSchema>;

/** The whole `consensus` section. */
export const consensusConfigSchema = z
  .strictObject({
    threshold: ranged(1, 16, { int: true, unit: 'cameras' }).default(2).describe('Cameras that must each see fire (1 = single-camera mode).'),
    windowSeconds: ranged(1, 600, { unit: 'seconds' }).default(30).describe('Look-back for the growth test.'),
    cooldownSeconds: ranged(0, 3600, { unit: 'seconds' }).default(300).describe('Minimum time between triggers.'),
    minConfidence: ranged(0, 1).default(0.7).describe('Minimum score (inclusive) for legacy and Frigate inputs.'),
    minScore: ranged(0, 1).optional().describe("Raises the bar for own detections above the detector's threshold."),
    minAreaRatio: ranged(0, 1).default(0.001).describe('Smallest box area as a fraction of the frame (inclusive); must be below maxAreaRatio.'),
    maxAreaRatio: ranged(0, 1).default(0.8).describe('Largest box area as a fraction of the frame (inclusive).'),
    areaIncreaseRatio: ranged(0.1, 100).default(1.2).describe('Late median area >= early median x this.'),
    movingAverageWindow: ranged(1, 10, { int: true, unit: 'samples' }).default(3).describe('W: a track needs >= 2W samples in the window.'),
    persistSeconds: ranged(0, 3600, { unit: 'seconds' }).default(0).describe('0 = off; a fire track seen this long without gaps counts even if not growing (a sunset persists too: use with masks).'),
    cameraTimeoutSeconds: ranged(1, 3600, { unit: 'seconds' }).default(60).describe('Silence after which a camera stops voting.'),
    countLabels: z
      .array(z.string().min(1).max(64), { error: 'countLabels is a list of labels' })
      .min(1, { message: 'at least one label must count' })
      .default(['fire', 'smoke'])
      .describe('Labels that count.'),
    cameras: z
      .record(z.string().regex(CAMERA_ID_RE, { message: 'camera ids match [A-Za-z0-9_-]+' }), consensusCameraSchema)
      .optional()
      .describe(
        '{<id>: {width, height, masks, zones}}: allow-list of camera ids (absent = accept any id), producer resolution for pixel boxes (else 1920x1080), masks (normalised [x1,y1,x2,y2] or [[x,y],...]; a box centre inside is ignored), zones named in the trigger.',
      ),
    frigateResolution: z
      .strictObject({
        width: ranged(1, 16384, { int: true, unit: 'pixels' }).describe('Frigate detect width.'),
        height: ranged(1, 16384, { int: true, unit: 'pixels' }).describe('Frigate detect height.'),
      })
      .optional()
      .describe(`Frigate detect size for cameras not listed with width/height. Unset: ${FRIGATE_DEFAULT_RESOLUTION.width}x${FRIGATE_DEFAULT_RESOLUTION.height}, raised per camera to the smallest common size that holds its boxes when frigate.learnResolution is on.`),
    frigate: z
      .strictObject({
        topicPrefixes: z
          .array(z.string().regex(FRIGATE_PREFIX_RE, { message: 'a Frigate topic_prefix here starts with "frigate" (e.g. frigate, frigate2, frigate-barn)' }))
          .min(1)
          .max(8)
          .refine((a) => new Set(a).size === a.length, 'prefixes must not repeat')
          .default(['frigate'])
          .describe("Frigate servers' mqtt.topic_prefix: <prefix>/events are read and <prefix>/available offline stops their cameras voting."),
        windowSeconds: ranged(1, 600, { unit: 'seconds' }).default(60).describe('Growth window for Frigate tracks (Frigate updates an object every ~5 s, so 30 s holds too few).'),
        movingAverageWindow: ranged(1, 10, { int: true, unit: 'samples' }).default(2).describe('W for Frigate tracks: >= 2W events in frigate.windowSeconds (2 → 4 events, 20 s at 5 s and 28 s at 7 s).'),
        learnResolution: z
          .boolean()
          .default(true)
          .describe('When a camera has no configured size, learn it from boxes beyond the assumed one (reported in health) instead of refusing every box.'),
      })
      .prefault({}),
    triggerTtlSeconds: ranged(10, 3600, { unit: 'seconds' }).default(120).describe('expires_at = decision time + this.'),
    triggerAck: z
      .strictObject({
        required: z
          .boolean()
          .default(true)
          .describe('Expect a pump to report every trigger (pump/<node>/trigger_ack): re-send until one does, and report a trigger no pump answered in health and notify. false only on a site with no pump.'),
        resendSeconds: ranged(3, 600, { unit: 'seconds' }).default(10).describe('Re-publish period of an unacknowledged trigger (same id: the pump runs once).'),
      })
      .prefault({}),
    evaluateIntervalMs: ranged(50, 60_000, { int: true, unit: 'ms' }).default(1000).describe('Timer evaluation period.'),
    maxCameras: ranged(1, 1024, { int: true }).default(64).describe('Bound on tracked cameras.'),
    maxTracksPerCamera: ranged(1, 1024, { int: true }).default(32).describe('Bound on tracks per camera.'),
    trackIouThreshold: ranged(0.01, 1).default(0.3).describe('IoU to associate a box without a track id to a track.'),
  })
  .superRefine((c, ctx) => {
    if (c.minAreaRatio >= c.maxAreaRatio) {
      ctx.addIssue({ code: 'custom', path: ['minAreaRatio'], input: c.minAreaRatio, message: `must be below maxAreaRatio (${c.maxAreaRatio})` });
    }
    if (c.cameras) {
      const n = Object.keys(c.cameras).length;
      if (n > 0 && c.threshold > n) {
        ctx.addIssue({
          code: 'custom',
          path: ['threshold'],
          input: c.threshold,
          message: `must be from 1 to ${n}: only ${n} camera${n === 1 ? ' is' : 's are'} listed in consensus.cameras`,
        });
      }
      if (n > c.maxCameras) {
        ctx.addIssue({ code: 'custom', path: ['cameras'], input: n, message: `at most maxCameras (${c.maxCameras}) cameras can be listed` });
      }
    }
  })
  .prefault({});
export type ConsensusConfig = z.infer<typeof consensusConfigSchema>;

/** Parse a consensus section (defaults applied); convenience for tests and tools. */
export function parseConsensusConfig(input: unknown): ConsensusConfig {
  return consensusConfigSchema.parse(input);
}
