import { z } from 'zod';

/** One entry of `cameras: [...]` (DETECTOR.md "Cameras"). Owned by src/capture. */
export const cameraConfigSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'camera ids match [A-Za-z0-9_-]+'),
  url: z.string().min(1),
});
export type CameraConfig = z.infer<typeof cameraConfigSchema>;

/** `cameras` config section. */
export const camerasConfigSchema = z.array(cameraConfigSchema).default([]);
