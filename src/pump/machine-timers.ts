import type { MachineConfig, PumpState, Run } from './machine-types.js';

/** Timer names; each belongs to the state listed in {@link deadlinesOf}. */
export type TimerName =
  | 'manual_over'
  | 'primed'
  | 'phase'
  | 'limit'
  | 'fireoff'
  | 'reduce_limit'
  | 'reduction_over'
  | 'priming_over'
  | 'confirm'
  | 'dry'
  | 'lowpress'
  | 'pulse_over'
  | 'lockout_over'
  | 'valve_close'
  | 'cooldown_over';

/** Timings in ms (attempt count unchanged). */
export type TimingsMs = Record<keyof MachineConfig['timings'], number>;

/**
 * The timers a state instance owns, as absolute monotonic deadlines derived only from its data.
 * Because deadlines are absolute, re-arming (after a trigger or an input change) never moves one;
 * the max-runtime deadline in particular comes from `run.limitAt`, fixed once at I.
 */
export function deadlinesOf(s: PumpState, t: TimingsMs, hasConfirmSensor: boolean): Array<[TimerName, number]> {
  const d: Array<[TimerName, number]> = [];
  switch (s.name) {
    case 'IDLE':
    case 'ERROR':
      break; // ERROR latches: no timer or sensor leaves it (scenario 47)
    case 'MANUAL_VALVE':
      d.push(['manual_over', s.until]);
      break;
    case 'PRIMING':
      d.push(['primed', s.until]);
      break;
    case 'STARTING':
      d.push(['phase', s.phaseUntil]);
      if (s.run.limitAt !== null) d.push(['limit', s.run.limitAt]);
      break;
    case 'RUNNING':
      d.push(['fireoff', s.run.lastTriggerAt + t.fireOffDelay]);
      if (s.run.limitAt !== null) {
        d.push(['reduce_limit', s.run.limitAt - t.rpmReductionLead]);
        d.push(['limit', s.run.limitAt]); // belt and braces: never past the limit
      }
      monitors(d, s.run, s.priming, t, hasConfirmSensor);
      break;
    case 'REDUCING_RPM':
      d.push(['reduction_over', s.until]);
      if (s.run.limitAt !== null) {
        if (s.kind === 'graceful') d.push(['reduce_limit', s.run.limitAt - t.rpmReductionLead]);
        d.push(['limit', s.run.limitAt]);
      }
      // No start confirmation here: a re-crank would cancel the stop (a limit stop never is).
      monitors(d, s.run, s.priming, t, false);
      break;
    case 'STOPPING':
      d.push(['pulse_over', s.until]);
      break;
    case 'REFILLING':
      d.push(['lockout_over', s.lockoutUntil]);
      if (s.mainValve) d.push(['valve_close', s.valveCloseAt]);
      break;
    case 'COOLDOWN':
      if (s.mainValve) d.push(['valve_close', s.valveCloseAt]);
      d.push(['cooldown_over', s.until]);
      break;
  }
  return d;
}

/** Priming window, start confirmation, dry-run and low-pressure protection (Safety 4, 5). */
function monitors(d: Array<[TimerName, number]>, run: Run, priming: boolean, t: TimingsMs, hasConfirmSensor: boolean): void {
  if (priming && run.primingEndsAt !== null) d.push(['priming_over', run.primingEndsAt]);
  if (!run.confirmed && hasConfirmSensor && run.runningSince !== null) d.push(['confirm', run.runningSince + t.startConfirmSeconds]);
  if (!priming) {
    if (run.noWaterSince !== null) d.push(['dry', run.noWaterSince + t.maxDryRunTime]);
    if (run.lowPressureSince !== null) d.push(['lowpress', run.lowPressureSince + t.lowPressureGrace]);
  }
}
