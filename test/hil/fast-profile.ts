import type { Edge } from '../../hw/hil.js';

/**
 * Second-scale timings for the HIL tests (driver mock only; docs/pump.md lets mock skip the two
 * real-hardware rules). Derived timeline for one trigger at t=0:
 *   MV/RV/PV on 0 · IO on 2 (I) · IS 2.5–3.5 (E = 3.5) · PV off 8.5 · fire-off 30 → RPM 30–32 ·
 *   IO off + IF on 32 · IF off 33 · MV off 42 · lockout (32−2)×2 = 60 s → RV off 93 · IDLE 98.
 *   Limit: RPM at I+60−5 = 57, IO off at 62.
 */
export const FAST = {
  preOpenDelay: 2,
  ignitionOnLeadTime: 0.5,
  ignitionStartDuration: 1,
  primingDuration: 5,
  fireOffDelay: 30,
  rpmReductionDuration: 2,
  rpmReductionLead: 5,
  maxEngineRuntime: 60,
  ignitionOffDuration: 1,
  valveCloseDelay: 10,
  refillMultiplier: 2,
  maxRefillLockout: 600,
  cooldownDuration: 5,
  maxDryRunTime: 20,
  lowPressureGrace: 3,
  startConfirmSeconds: 5,
  operatorHoldSeconds: 100,
  manualValveSeconds: 30,
};

/** Pump section with FAST timings and optional overrides. */
export function fast(timings: Partial<Record<keyof typeof FAST | "maxStartAttempts" | "commandExpirySeconds", number>> = {}, rest: Record<string, unknown> = {}): Record<string, unknown> {
  return { timings: { ...FAST, ...timings }, ...rest };
}

/** Replays edges and returns the first instant where ignition/crank is on without the main valve. */
export function valveFirstViolation(edges: Edge[]): Edge | null {
  const lvl: Record<string, boolean> = {};
  for (const e of edges) {
    lvl[e.role] = e.on;
    if ((lvl.ignitionOn || lvl.ignitionStart) && !lvl.mainValve) return e;
  }
  return null;
}

/** On-intervals `[from, to]` of one role (open intervals end at Infinity). */
export function intervals(edges: Edge[], role: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from: number | null = null;
  for (const e of edges) {
    if (e.role !== role) continue;
    if (e.on && from === null) from = e.t;
    if (!e.on && from !== null) {
      out.push([from, e.t]);
      from = null;
    }
  }
  if (from !== null) out.push([from, Infinity]);
  return out;
}
