import { z } from 'zod';

/** `pump.*` config section (PUMP.md). Owned by src/pump. `driver` is required with the pump role. */
export const pumpConfigSchema = z
  .object({
    driver: z.enum(['rpio', 'gpiochip', 'mock', 'auto']).optional(),
  })
  .prefault({});
export type PumpConfig = z.infer<typeof pumpConfigSchema>;
