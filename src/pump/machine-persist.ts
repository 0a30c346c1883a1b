import type { TimingsMs } from './machine-timers.js';
import { newRun, type PersistedPumpState, type PumpState, type Run } from './machine-types.js';

/**
 * Persisted form of the machine and the resume plan (PUMP.md Safety 1). Pure: the machine calls
 * these; state-store.ts does the file I/O and ages remaining times across the downtime.
 */

const S = 1000;

/** Machine context needed for the snapshot. */
export interface PersistContext {
  armed: boolean;
  holdRemainingS: number;
  lockoutRemainingS: number;
  lastTriggerId: string | null;
  /** Runtime of the current run so far (ms), incl. runtime used before a restart. */
  runtimeMs: number;
  ignitionOn: boolean;
}

/** Snapshot with remaining seconds, never absolute times. */
export function toPersisted(s: PumpState, c: PersistContext, t: TimingsMs, now: number): PersistedPumpState {
  const run = 'run' in s && s.run ? s.run : null;
  const stopping = s.name === 'STOPPING';
  // A fault stop in progress is already a latched ERROR: a restart during its stop pulse must not
  // forget it (the engine still gets its pulse on resume, below).
  const faultStop = stopping && s.next === 'ERROR';
  return {
    v: 1,
    state: faultStop ? 'ERROR' : s.name,
    armed: c.armed,
    holdRemainingS: c.holdRemainingS,
    lockoutRemainingS: c.lockoutRemainingS,
    refillRuntimeS: s.name === 'REFILLING' ? s.runtimeMs / S : 0,
    error: s.name === 'ERROR' ? s.reason : faultStop ? s.reason : null,
    // A stop pulse is recorded even without a run (the restart plan's own pulse carries none): the
    // engine may still turn and the runtime it used sets the refill lockout. Dropping it made a
    // second crash during that pulse come back IDLE, with no pulse and no lockout.
    run:
      run || stopping
        ? {
            usedS: (stopping ? s.runtimeMs : c.runtimeMs) / S,
            fireOffRemainingS: run ? Math.max(0, (run.lastTriggerAt + t.fireOffDelay - now) / S) : 0,
            attempt: run?.attempt ?? 1,
            engineOn: c.ignitionOn || stopping,
            // A run already stopping (fire-off, limit, operator) is not resumed.
            graceful: s.name === 'REDUCING_RPM' || (stopping && s.next !== 'PRIMING'),
          }
        : null,
    lastTriggerId: c.lastTriggerId,
  };
}

/** What to do at boot. `state: null` = stay IDLE. */
export interface RestorePlan {
  armed: boolean;
  lastTriggerId: string | null;
  holdUntil: number | null;
  state: PumpState | null;
  reason: string;
}

/**
 * Decide the resume: a latched ERROR stays latched; a refill lockout continues; a run whose
 * fire-off had not expired restarts from PRIMING with its used runtime counted against
 * maxEngineRuntime (if enough budget is left to be worth a start); an engine that was on first
 * gets its stop pulse. Resting states (IDLE, COOLDOWN, MANUAL_VALVE) restart as IDLE.
 */
export function planRestore(p: PersistedPumpState, t: TimingsMs, now: number): RestorePlan {
  const base = { armed: p.armed, lastTriggerId: p.lastTriggerId, holdUntil: p.holdRemainingS > 0 ? now + p.holdRemainingS * S : null };
  const stopPulse = (next: 'PRIMING' | 'REFILLING' | 'ERROR', run: Run | null, usedMs: number, reason: string): PumpState => ({
    name: 'STOPPING', epoch: 0, run, next, reason, until: now + t.ignitionOffDuration, runtimeMs: usedMs, engineStoppedAt: now,
  });
  if (p.state === 'ERROR') {
    const reason = p.error ?? 'error_before_restart';
    if (p.run?.engineOn) return { ...base, state: stopPulse('ERROR', null, p.run.usedS * S, reason), reason: 'restart_stop' };
    return { ...base, state: { name: 'ERROR', epoch: 0, reason }, reason: 'restored_error' };
  }
  if (p.state === 'REFILLING' && p.lockoutRemainingS > 0) {
    return { ...base, state: { name: 'REFILLING', epoch: 0, runtimeMs: p.refillRuntimeS * S, lockoutUntil: now + p.lockoutRemainingS * S, valveCloseAt: now, mainValve: false }, reason: 'restored_lockout' };
  }
  if (!p.run) return { ...base, state: null, reason: 'restored_idle' };
  const usedMs = p.run.usedS * S;
  const budget = t.maxEngineRuntime - usedMs;
  const resume = !p.run.graceful && p.run.fireOffRemainingS > 0 && budget > t.rpmReductionLead + t.ignitionOnLeadTime + t.ignitionStartDuration;
  const run = newRun('resume', now);
  run.usedBeforeMs = usedMs;
  run.lastTriggerAt = now - (t.fireOffDelay - p.run.fireOffRemainingS * S);
  const lockout = Math.min(usedMs * t.refillMultiplier, t.maxRefillLockout);
  if (p.run.engineOn) return { ...base, state: stopPulse(resume ? 'PRIMING' : 'REFILLING', resume ? run : null, usedMs, 'restart_stop'), reason: 'restart_stop' };
  if (resume) return { ...base, state: { name: 'PRIMING', epoch: 0, run, until: now + t.preOpenDelay }, reason: 'resume_after_restart' };
  if (lockout > 0) return { ...base, state: { name: 'REFILLING', epoch: 0, runtimeMs: usedMs, lockoutUntil: now + lockout, valveCloseAt: now, mainValve: false }, reason: 'restored_lockout' };
  return { ...base, state: null, reason: 'restored_idle' };
}
