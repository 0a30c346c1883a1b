import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { INPUT_ROLES, pumpConfigSchema, type InputRole } from '../../src/pump/config.js';
import { PumpMachine } from '../../src/pump/machine.js';
import type { CommandAction, Inputs, MachineEvent, Outputs } from '../../src/pump/machine-types.js';

// Property test over ≥ 10 000 random sequences of triggers, commands, sensor changes, driver
// faults and time steps against the pure machine, checking docs/pump.md's invariants after every step
// and on every output change (issue 3).

const ACTIONS: CommandAction[] = ['start', 'stop', 'valve_open', 'valve_close', 'reset', 'arm', 'disarm'];
const SENSORS: InputRole[] = ['reservoirFloat', 'linePressure', 'flowSensor', 'emergencyButton', 'engineRunning', 'mainValveFeedback'];

type Step =
  | { k: 'trigger' }
  | { k: 'cmd'; a: CommandAction }
  | { k: 'input'; name: InputRole; v: boolean }
  | { k: 'fault' }
  | { k: 'wait'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Step>({ k: 'trigger' }) },
  { weight: 3, arbitrary: fc.constantFrom(...ACTIONS).map((a): Step => ({ k: 'cmd', a })) },
  { weight: 3, arbitrary: fc.record({ name: fc.constantFrom(...SENSORS), v: fc.boolean() }).map((r): Step => ({ k: 'input', ...r })) },
  { weight: 1, arbitrary: fc.constant<Step>({ k: 'fault' }) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 25_000 }).map((ms): Step => ({ k: 'wait', ms })) },
);

const setupArb = fc
  .record({
    max: fc.integer({ min: 6, max: 40 }),
    leadFrac: fc.double({ min: 0, max: 0.9, noNaN: true }),
    preOpen: fc.integer({ min: 0, max: 3 }),
    ignLead: fc.constantFrom(0, 0.5, 1),
    crank: fc.constantFrom(0.1, 0.5, 1, 2),
    priming: fc.integer({ min: 0, max: 8 }),
    fireOff: fc.integer({ min: 1, max: 30 }),
    dry: fc.integer({ min: 1, max: 15 }),
    grace: fc.integer({ min: 0, max: 5 }),
    confirm: fc.integer({ min: 1, max: 6 }),
    attempts: fc.integer({ min: 1, max: 3 }),
    hold: fc.integer({ min: 0, max: 40 }),
    crankFirst: fc.boolean(),
    sensors: fc.subarray(SENSORS),
    initial: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  })
  .filter((s) => s.preOpen + s.ignLead + s.crank < s.max);

type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

function run(setup: Setup, steps: Step[]): void {
  const cfg = pumpConfigSchema.parse({
    driver: 'mock',
    crankSequence: setup.crankFirst ? 'crank-first' : 'ignition-first',
    timings: {
      maxEngineRuntime: setup.max,
      rpmReductionLead: Math.floor(setup.leadFrac * setup.max),
      preOpenDelay: setup.preOpen,
      ignitionOnLeadTime: setup.ignLead,
      ignitionStartDuration: setup.crank,
      primingDuration: setup.priming,
      fireOffDelay: setup.fireOff,
      rpmReductionDuration: 2,
      ignitionOffDuration: 1,
      valveCloseDelay: 5,
      refillMultiplier: 1,
      maxRefillLockout: 30,
      cooldownDuration: 3,
      maxDryRunTime: setup.dry,
      lowPressureGrace: setup.grace,
      startConfirmSeconds: setup.confirm,
      maxStartAttempts: setup.attempts,
      operatorHoldSeconds: setup.hold,
      manualValveSeconds: 10,
    },
  });
  const t = cfg.timings;
  const clock = new VirtualClock(1_764_200_000_000, 0);
  const initial = Object.fromEntries(INPUT_ROLES.map((r, i) => [r, setup.sensors.includes(r) ? setup.initial[i] : null])) as Inputs;

  // Independent bookkeeping of the invariants.
  let out: Outputs = { mainValve: false, ignitionStart: false, ignitionOn: false, ignitionOff: false, refillValve: false, primingValve: false, rpmReduce: false };
  let crankSince: number | null = null;
  let runFirstIgnition: number | null = null;
  let limitReduction = false;
  const fail = (msg: string) => {
    throw new Error(`${msg} at ${clock.now()} ms`);
  };
  const checkTimes = () => {
    const now = clock.now();
    if (crankSince !== null && now - crankSince > t.ignitionStartDuration * 1000 + 1e-6) fail('crank pulse longer than ignitionStartDuration');
    if (out.ignitionOn && runFirstIgnition !== null && now - runFirstIgnition > t.maxEngineRuntime * 1000 + 1e-6) fail('ignition held past maxEngineRuntime');
  };
  const m = new PumpMachine({ timings: t, crankSequence: cfg.crankSequence, initialInputs: initial }, clock, {
    onOutputs: (o) => {
      checkTimes(); // the old levels held until now
      if ((o.ignitionOn || o.ignitionStart) && !o.mainValve) fail('ignition/crank without main valve');
      if (o.ignitionStart && !out.ignitionStart) crankSince = clock.now();
      if (!o.ignitionStart) crankSince = null;
      if (o.ignitionOn && runFirstIgnition === null) runFirstIgnition = clock.now();
      out = o;
      if (m.state().name === 'ERROR' && Object.values(o).some(Boolean)) fail('ERROR with an output on');
    },
    onEvent: (e: MachineEvent) => {
      if (e.event === 'transition' && e.to === 'PRIMING') runFirstIgnition = null; // a new run
      if (limitReduction && e.event === 'transition' && e.from === 'REDUCING_RPM' && e.to !== 'STOPPING' && e.to !== 'ERROR') fail(`limit stop cancelled (→ ${e.to})`);
      if (e.event === 'transition' && e.from === 'REDUCING_RPM') limitReduction = false;
      if ((e.event === 'transition' || e.event === 'phase') && e.to === 'REDUCING_RPM') limitReduction = m.state().name === 'REDUCING_RPM' && (m.state() as { kind: string }).kind === 'limit';
    },
  });

  let armed = true;
  let holdUntil: number | null = null;
  for (const st of steps) {
    const before = m.state().name;
    const now = clock.now();
    if (st.k === 'trigger') {
      const r = m.handle({ type: 'trigger', id: null, source: 'prop' });
      const blocked = before === 'REFILLING' || before === 'STOPPING' || before === 'ERROR' || !armed || (holdUntil !== null && now < holdUntil);
      if (blocked && r.accepted) fail(`trigger accepted in ${before} (armed ${armed}, hold ${holdUntil})`);
      if (blocked && m.state().name !== before) fail(`blocked trigger changed state ${before} → ${m.state().name}`);
    } else if (st.k === 'cmd') {
      const r = m.handle({ type: 'command', action: st.a, source: 'prop' });
      if (r.accepted && st.a === 'arm') armed = true;
      if (r.accepted && st.a === 'disarm') armed = false;
      if (r.accepted && st.a === 'stop') holdUntil = t.operatorHoldSeconds > 0 ? now + t.operatorHoldSeconds * 1000 : null;
      if (r.accepted && st.a === 'reset') holdUntil = null;
      if (st.a === 'start' && before === 'ERROR' && r.accepted) fail('start accepted in ERROR');
    } else if (st.k === 'input') {
      if (setup.sensors.includes(st.name)) m.handle({ type: 'input', name: st.name, value: st.v });
    } else if (st.k === 'fault') {
      m.handle({ type: 'output_fault', output: 'mainValve', reason: 'prop' });
      if (m.state().name !== 'ERROR') fail('fault did not latch ERROR');
    } else {
      // advance in slices so time-based invariants are checked while levels are held
      const end = clock.now() + st.ms;
      while (clock.now() < end) {
        clock.advanceTo(Math.min(end, clock.now() + 250));
        checkTimes();
      }
    }
    checkTimes();
    if (m.state().name === 'ERROR' && Object.values(m.outputs()).some(Boolean)) fail('ERROR with outputs on');
    if (m.counters.staleTimers !== 0) fail('a stale timer fired');
  }
}

describe('pump machine invariants (property)', () => {
  it('hold on every step of 10 000 random sequences', () => {
    fc.assert(
      fc.property(setupArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), (setup, steps) => {
        run(setup, steps);
      }),
      { numRuns: 10_000, seed: Number(process.env.PUMP_PROP_SEED ?? 20261127) },
    );
  });

  it('the checker is not vacuous: it sees runs reach RUNNING, limit stops and ERROR', () => {
    // Same generator, counting how often each safety-relevant situation occurs.
    const seen = { running: 0, limit: 0, error: 0 };
    fc.assert(
      fc.property(setupArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), (setup, steps) => {
        const clock = new VirtualClock();
        const cfg = pumpConfigSchema.parse({ driver: 'mock', timings: { maxEngineRuntime: setup.max, rpmReductionLead: 0, preOpenDelay: setup.preOpen, ignitionStartDuration: setup.crank, ignitionOnLeadTime: setup.ignLead } });
        const m = new PumpMachine({ timings: cfg.timings, crankSequence: 'ignition-first', initialInputs: Object.fromEntries(INPUT_ROLES.map((r) => [r, null])) as Inputs }, clock, {
          onEvent: (e) => {
            if (e.event === 'transition' && e.to === 'RUNNING') seen.running++;
            if (e.event === 'transition' && e.reason === 'max_runtime') seen.limit++;
            if (e.event === 'transition' && e.to === 'ERROR') seen.error++;
          },
        });
        for (const st of steps) {
          if (st.k === 'trigger') m.handle({ type: 'trigger', id: null, source: 'p' });
          else if (st.k === 'cmd') m.handle({ type: 'command', action: st.a, source: 'p' });
          else if (st.k === 'fault') m.handle({ type: 'output_fault', output: 'mainValve', reason: 'p' });
          else if (st.k === 'wait') clock.advance(st.ms * 4);
        }
      }),
      { numRuns: 500, seed: 7 },
    );
    expect(seen.running).toBeGreaterThan(50);
    expect(seen.limit).toBeGreaterThan(10);
    expect(seen.error).toBeGreaterThan(10);
  });
});
