import { z } from 'zod';

/** `consensus.*` config section (CONSENSUS.md "Defaults"). Owned by src/consensus. */
export const consensusConfigSchema = z
  .object({
    threshold: z.number().int().min(1).max(16).default(2),
  })
  .prefault({});
export type ConsensusConfig = z.infer<typeof consensusConfigSchema>;
