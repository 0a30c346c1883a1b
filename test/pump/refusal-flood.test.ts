import { describe, expect, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { memoryLogger } from '../../src/log/logger.js';
import { RefusalSummary } from '../../src/log/refusal-summary.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { FakeLink } from '../helpers/fake-link.js';
import { fast } from '../hil/fast-profile.js';

// Issue 12 item 6: 100k junk messages made 29k log lines and 28k durable pump events. Refusals are
// now logged once per reason per interval (with a count) and published as individual events only
// for the first few per reason and interval, then as one summary event; the counters stay exact.

const NODE = 'pmp';

describe('refusal flood', () => {
  it('100k junk triggers and commands: bounded log lines and events, exact counters, every refusal accounted for', async () => {
    const link = new FakeLink(NODE);
    const logger = memoryLogger('info');
    const rig = await HilRig.create({ pump: fast(), link, nodeId: NODE, logger });
    const wall = () => rig.clock.wallNow() / 1000;
    const linesBefore = logger.lines.length;
    const expected = { trigger: { malformed: 0, expired: 0, retained: 0 }, command: { malformed: 0, expired: 0 } };
    // 100 000 messages over 200 virtual seconds (2 ms apart): four 60 s intervals and a bit.
    for (let i = 0; i < 100_000; i++) {
      switch (i % 10) {
        case 0: case 1: case 2: case 3:
          link.inject('fire/trigger', `junk ${i}`);
          expected.trigger.malformed++;
          break;
        case 4: case 5:
          link.inject('fire/trigger', { action: 'trigger', id: `old-${i}`, expires_at: wall() - 600 });
          expected.trigger.expired++;
          break;
        case 6:
          link.inject('fire/trigger', { action: 'trigger', id: `r-${i}` }, { retained: true });
          expected.trigger.retained++;
          break;
        case 7: case 8:
          link.inject('fire/emergency', '{bad');
          expected.command.malformed++;
          break;
        default:
          link.inject('fire/emergency', { action: 'start', id: `c-${i}`, ts: wall() - 3600 });
          expected.command.expired++;
      }
      rig.clock.advance(2);
    }
    expect(rig.state()).toBe('IDLE');
    rig.clock.advance(60_000); // the last windows close
    // Log lines: per reason (5) and interval (at most 5 windows in 260 s), the first + one summary.
    const lines = logger.lines.slice(linesBefore).filter((l) => /refused/.test(l.msg));
    expect(lines.length).toBeLessThanOrEqual(5 * 5 * 2);
    expect(lines.length).toBeGreaterThanOrEqual(5 * 2);
    // Events: per reason and interval at most 10 individual + 1 summary.
    const individual = [...rig.eventsNamed('trigger_refused'), ...rig.eventsNamed('command_refused')];
    const summaries = [...rig.eventsNamed('trigger_refused_summary'), ...rig.eventsNamed('command_refused_summary')];
    expect(individual.length + summaries.length).toBeLessThanOrEqual(5 * 5 * 11);
    const durable = link.published.filter((p) => p.topic === `pump/${NODE}/event`);
    expect(durable.length).toBe(individual.length + summaries.length);
    const m = rig.controller.metrics();
    expect(m.refused_triggers_total).toEqual(expected.trigger);
    expect(m.refused_commands_total).toEqual(expected.command);
    // Exact accounting: individual events + the summaries' held-back counts = every refusal.
    for (const [kind, byReason] of Object.entries(expected)) {
      for (const [reason, n] of Object.entries(byReason)) {
        const own = rig.eventsNamed(`${kind}_refused`).filter((e) => String(e.reason).split(':')[0] === reason).length;
        const held = rig.eventsNamed(`${kind}_refused_summary`).filter((e) => e.reason === reason).reduce((a, e) => a + Number(e.without_own_event), 0);
        expect(own + held, `${kind} ${reason}`).toBe(n);
      }
    }
    expect(summaries[0]).toMatchObject({ count: expect.any(Number), interval_s: 60 });
  });

  it('a single refusal is still logged and published at once; the interval is configurable; stop() flushes held-back counts', async () => {
    const link = new FakeLink(NODE);
    const logger = memoryLogger('info');
    const rig = await HilRig.create({ pump: fast(), link, nodeId: NODE, logger, refusalSummaryMs: 5000 });
    link.inject('fire/trigger', 'junk');
    expect(rig.eventsNamed('trigger_refused')).toHaveLength(1);
    expect(logger.lines.filter((l) => /trigger refused: malformed/.test(l.msg))).toHaveLength(1);
    for (let i = 0; i < 30; i++) link.inject('fire/trigger', 'junk');
    expect(rig.eventsNamed('trigger_refused')).toHaveLength(10);
    rig.clock.advance(5000);
    expect(rig.eventsNamed('trigger_refused_summary')).toEqual([expect.objectContaining({ reason: 'malformed', count: 31, without_own_event: 21, interval_s: 5 })]);
    for (let i = 0; i < 12; i++) link.inject('fire/trigger', 'junk');
    await rig.stop();
    expect(rig.eventsNamed('trigger_refused_summary').at(-1)).toMatchObject({ count: 12, without_own_event: 2 });
  });
});

describe('RefusalSummary (pure)', () => {
  it('no timer while nothing is refused; a window opens on the first refusal and closes after the interval', () => {
    const clock = new VirtualClock();
    const reports: unknown[] = [];
    const r = new RefusalSummary({ clock, intervalMs: 1000, eventsPerInterval: 1, onSummary: (x) => reports.push(x) });
    expect(clock.pendingTimers()).toBe(0);
    expect(r.admit('a')).toEqual({ log: true, event: true });
    expect(r.admit('a')).toEqual({ log: false, event: false });
    expect(r.admit('b')).toEqual({ log: true, event: true });
    clock.advance(1000);
    expect(reports).toEqual([{ key: 'a', unlogged: 1, unevented: 1, total: 2, intervalMs: 1000 }]); // b had nothing held back
    expect(clock.pendingTimers()).toBe(0);
    expect(r.admit('a')).toEqual({ log: true, event: true });
  });
});
