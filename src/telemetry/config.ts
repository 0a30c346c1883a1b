import { z } from 'zod';

/**
 * `telemetry.*` config section (docs/topics.md `system/<node>/telemetry` and `system/<node>/health`).
 * Owned by src/telemetry. (zod 4: `.prefault({})` so the inner defaults apply to a missing section.)
 */
export const telemetryConfigSchema = z
  .strictObject({
    intervalSeconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('Seconds between `system/<node>/telemetry` messages (QoS 0, not retained).'),
    healthIntervalSeconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(30)
      .describe('Seconds between `system/<node>/health` updates (retained); also how often the clock sync flag is re-read.'),
    maxClockSkewSeconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(30)
      .describe("Health reports `clock_skew` when this node's wall clock is further than this from its peers' (measured from the timestamps of their telemetry and health messages)."),
    diskPath: z
      .string()
      .min(1)
      .optional()
      .describe('Filesystem whose free space is reported (the outbox and pump state live there); default `/`.'),
    diskMinFreeMb: z
      .number()
      .min(0)
      .max(1_000_000)
      .default(20)
      .describe('Free space of the state directory (fs.statfs) below which health reports `disk_full`: the pump state and the MQTT outbox are written there.'),
  })
  .prefault({});
/** Parsed `telemetry` section. */
export type TelemetryConfig = z.infer<typeof telemetryConfigSchema>;
