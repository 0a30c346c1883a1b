import type { PumpEvent, PumpStatePayload } from '../topics/payloads.js';
import type { PumpController } from './controller.js';

/**
 * The pump's status (issue 15 item 2): what the status page shows and health reads, one type from
 * the pump's own folder. It is the retained state payload (`pump/<node>/state`, built in
 * state-payload.ts) plus what only the local node shows: pin levels, the last events and the state
 * file's write error. Consumers (src/telemetry/sources.ts, src/app/status.ts) take this type, so
 * renaming a field here fails to compile there instead of becoming null in health.
 */
export type PumpStatus = PumpStatePayload & {
  /** Logical output → its pin and the level driven now (heartbeat included). */
  pins: Record<string, { pin: number; level: 0 | 1 }>;
  /** The last pump events, oldest first (bounded). */
  lastEvents: PumpEvent[];
  /** The pump state file's last write error, null once a save succeeds again (health: state_write_failed). */
  stateWriteError: string | null;
};

/**
 * The pump's status from its controller. Adding a field the controller already knows (its
 * snapshot, counters, state file) is a change to this file alone: the wiring and the status page
 * pass the status through as it is; health reads the fields src/telemetry/sources.ts names.
 */
export function pumpStatus(c: Pick<PumpController, 'snapshot' | 'stateWriteError'>): PumpStatus {
  const s = c.snapshot();
  return { ...s.state, pins: s.pins, lastEvents: s.lastEvents, stateWriteError: c.stateWriteError() };
}
