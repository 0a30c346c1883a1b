import { z } from 'zod';

/** `detect.*` config section (DETECTOR.md). Owned by src/detect. */
export const detectConfigSchema = z
  .object({
    model: z.string().default('models/wfe-firesmoke-320.onnx'),
    threshold: z.number().min(0).max(1).default(0.5),
  })
  .prefault({});
export type DetectConfig = z.infer<typeof detectConfigSchema>;
