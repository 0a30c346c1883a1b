import type { TimingsMs } from './machine-timers.js';
import { newRun, type PersistedPumpState, type PumpState, type Run } from './machine-types.js';

/**
 * Persisted form of the machine and the resume plan (docs/pump.md Safety 1). Pure: the machine calls
 * these; state-store.ts does the file I/O and ages remaining times across the downtime.
 */

const S = 1000;

/** Machine context needed for the snapshot. */
export interface PersistContext {
  armed: boolean;
  holdRemainingS: number;
  lockoutRemainingS: number;
  lastTriggerId: string | null;
  stateLost: boolean;
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
    stateLost: c.stateLost,
  };
}

function restartStopPulse(next: 'PRIMING' | 'REFILLING' | 'ERROR', run: Run | null, usedMs: number, reason: string, t: TimingsMs, now: number): PumpState {
  return { name: 'STOPPING', epoch: 0, run, next, reason, until: now + t.ignitionOffDuration, runtimeMs: usedMs, engineStoppedAt: now };
}

/** What to do at boot. `state: null` = stay IDLE. */
export interface RestorePlan {
  armed: boolean;
  lastTriggerId: string | null;
  holdUntil: number | null;
  /** Latch the "state lost" condition (cleared only by an operator `reset` or `arm`). */
  stateLost: boolean;
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
  const base = { armed: p.armed, lastTriggerId: p.lastTriggerId, holdUntil: p.holdRemainingS > 0 ? now + p.holdRemainingS * S : null, stateLost: p.stateLost };
  const stopPulse = (next: 'PRIMING' | 'REFILLING' | 'ERROR', run: Run | null, usedMs: number, reason: string): PumpState => restartStopPulse(next, run, usedMs, reason, t, now);
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

/**
 * Boot on a state file that cannot be read or verified (issue 12). Nothing in it can be believed,
 * so every unknown is taken at its most restrictive automatic value: the engine may have been
 * running when the file broke, so it gets its stop pulse first; then the longest refill lockout
 * this config can produce (a whole maxEngineRuntime × refillMultiplier, capped by
 * maxRefillLockout); disarmed; and the latched stateLost that only an operator `reset` or `arm`
 * clears. Manual `start` still works (docs/pump.md: it ignores lockout, hold and disarm).
 *
 * `previous` is the previous good copy, if it verified. It is one write older than the truth, and
 * the write it misses may have loosened (arm, reset, lockout over) or tightened (disarm, stop,
 * ERROR) anything, so it may only ADD restrictions here: a latched ERROR in it stays latched, and
 * its operator hold is kept. Everything else it says is ignored.
 */
export function planStateLost(previous: PersistedPumpState | null, t: TimingsMs, now: number): RestorePlan {
  const hold = previous && previous.holdRemainingS > 0 ? now + previous.holdRemainingS * S : null;
  const base = { armed: false, stateLost: true, lastTriggerId: previous?.lastTriggerId ?? null, holdUntil: hold };
  if (previous?.state === 'ERROR') {
    return { ...base, state: restartStopPulse('ERROR', null, t.maxEngineRuntime, previous.error ?? 'error_before_restart', t, now), reason: 'state_lost' };
  }
  return { ...base, state: restartStopPulse('REFILLING', null, t.maxEngineRuntime, 'state_lost', t, now), reason: 'state_lost' };
}
