import { z } from 'zod';

/**
 * `http.*` config section: the local status page, `/metrics` and `/healthz` (issue 7). Owned by
 * src/http. Loopback by default: the page has no authentication, so exposing it on the LAN is an
 * explicit choice (`host: 0.0.0.0`). A bind failure is reported in health and never stops the node.
 */
export const httpConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Serve the status page, `/metrics` and `/healthz`.'),
    host: z.string().min(1).default('127.0.0.1').describe('Bind address; `0.0.0.0` exposes the unauthenticated page on every interface.'),
    port: z.number().int().min(0).max(65_535).default(8080).describe('TCP port (0 = any free port).'),
  })
  .prefault({});
/** Parsed `http` section. */
export type HttpConfig = z.infer<typeof httpConfigSchema>;
