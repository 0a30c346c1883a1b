import { z } from 'zod';

/**
 * Sections whose owning part has not published its schema yet (notify). They are
 * accepted as free-form objects so a config written for the full product still loads; each one is
 * replaced by the part's own schema (`src/<part>/config.ts`) when it lands.
 */
export const pendingSections = {
  notify: z.record(z.string(), z.unknown()).optional().describe('Notifications (schema pending).'),
};
