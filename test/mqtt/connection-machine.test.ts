import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { fullJitterBackoff } from '../../src/mqtt/backoff.js';
import { ConnectionMachine } from '../../src/mqtt/connection-machine.js';

function setup(o: { max?: number; stop?: boolean; seed?: number } = {}) {
  const clock = new VirtualClock();
  const backoff = fullJitterBackoff({ baseMs: 1000, capMs: 8000, random: seededRandom(o.seed ?? 1) });
  // A twin backoff with the same seed predicts the delays the machine must use.
  const twin = fullJitterBackoff({ baseMs: 1000, capMs: 8000, random: seededRandom(o.seed ?? 1) });
  const connects: Array<{ attempt: number; at: number }> = [];
  const aborts: Array<{ attempt: number; reason: string }> = [];
  const m = new ConnectionMachine({
    clock,
    backoff,
    maxReconnectAttempts: o.max ?? 3,
    stopWhenFailed: o.stop ?? false,
    connectTimeoutMs: 5000,
    effects: { connect: (attempt) => connects.push({ attempt, at: clock.now() }), abort: (attempt, reason) => aborts.push({ attempt, reason }) },
  });
  const transitions: string[] = [];
  m.onTransition((f, t, r) => transitions.push(`${f}->${t}:${r}`));
  const last = () => connects[connects.length - 1].attempt;
  return { clock, m, twin, connects, aborts, transitions, last };
}

describe('connection state machine (virtual time)', () => {
  it('start → CONNECTING → CONNECTED; loss → RECONNECTING after a jittered delay; reset after success', () => {
    const s = setup();
    s.m.handle({ type: 'start' });
    expect(s.m.state).toBe('CONNECTING');
    expect(s.connects).toHaveLength(1);
    s.m.handle({ type: 'connack', attempt: s.last() });
    expect(s.m.state).toBe('CONNECTED');
    s.m.handle({ type: 'lost', attempt: s.last(), reason: 'keepalive timeout' });
    expect(s.m.state).toBe('RECONNECTING');
    const d1 = s.twin.next();
    s.clock.advance(d1 - 1);
    expect(s.connects).toHaveLength(1); // not before the delay
    s.clock.advance(1);
    expect(s.connects).toHaveLength(2);
    s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'econnrefused' });
    const d2 = s.twin.next();
    s.clock.advance(d2);
    expect(s.connects).toHaveLength(3);
    expect(s.connects[2].at - s.connects[1].at).toBe(d2);
    s.m.handle({ type: 'connack', attempt: s.last() });
    expect(s.m.state).toBe('CONNECTED');
    expect(s.m.consecutiveFailures).toBe(0);
    // Backoff was reset: the next loss waits a delay drawn for attempt 1 again (ceiling = base).
    s.twin.reset();
    s.m.handle({ type: 'lost', attempt: s.last(), reason: 'broker gone' });
    const d = s.twin.next();
    expect(d).toBeLessThan(1000);
    s.clock.advance(d);
    expect(s.connects).toHaveLength(4);
    expect(s.transitions).toEqual([
      'DISCONNECTED->CONNECTING:start',
      'CONNECTING->CONNECTED:connack',
      'CONNECTED->RECONNECTING:keepalive timeout',
      'RECONNECTING->CONNECTED:connack',
      'CONNECTED->RECONNECTING:broker gone',
    ]);
  });

  it('goes FAILED after N consecutive failures and keeps probing at the capped backoff', () => {
    const s = setup({ max: 3 });
    s.m.handle({ type: 'start' });
    for (let i = 0; i < 3; i++) {
      s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'econnrefused' });
      if (i < 2) expect(s.m.state).toBe('RECONNECTING');
      s.clock.advance(s.twin.next());
    }
    expect(s.m.state).toBe('FAILED');
    expect(s.connects).toHaveLength(4); // still probing
    s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'econnrefused' });
    expect(s.m.state).toBe('FAILED');
    s.clock.advance(s.twin.next());
    expect(s.connects).toHaveLength(5);
    s.m.handle({ type: 'connack', attempt: s.last() });
    expect(s.m.state).toBe('CONNECTED');
    expect(s.transitions).toEqual([
      'DISCONNECTED->CONNECTING:start',
      'CONNECTING->RECONNECTING:econnrefused',
      'RECONNECTING->FAILED:econnrefused',
      'FAILED->CONNECTED:connack',
    ]);
  });

  it('stopWhenFailed: no more attempts in FAILED and no timer left', () => {
    const s = setup({ max: 2, stop: true });
    s.m.handle({ type: 'start' });
    s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'x' });
    s.clock.advance(s.twin.next());
    s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'x' });
    expect(s.m.state).toBe('FAILED');
    expect(s.clock.pendingTimers()).toBe(0);
    s.clock.advance(1_000_000);
    expect(s.connects).toHaveLength(2);
    s.m.handle({ type: 'start' }); // an explicit restart probes again
    expect(s.connects).toHaveLength(3);
  });

  it('connect timeout is owned by the attempt: it aborts and counts as a failure', () => {
    const s = setup();
    s.m.handle({ type: 'start' });
    s.clock.advance(4999);
    expect(s.aborts).toEqual([]);
    s.clock.advance(1);
    expect(s.aborts).toEqual([{ attempt: 1, reason: 'connect timeout' }]);
    expect(s.m.state).toBe('RECONNECTING');
    expect(s.m.consecutiveFailures).toBe(1);
    // A late CONNACK from the aborted attempt is stale and ignored.
    s.m.handle({ type: 'connack', attempt: 1 });
    expect(s.m.state).toBe('RECONNECTING');
  });

  it('close() from every state ends in DISCONNECTED with no timer left', () => {
    const drive: Array<(s: ReturnType<typeof setup>) => void> = [
      () => undefined,
      (s) => s.m.handle({ type: 'start' }),
      (s) => {
        s.m.handle({ type: 'start' });
        s.m.handle({ type: 'connack', attempt: s.last() });
      },
      (s) => {
        s.m.handle({ type: 'start' });
        s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'x' });
      },
      (s) => {
        s.m.handle({ type: 'start' });
        for (let i = 0; i < 3; i++) {
          s.m.handle({ type: 'attemptFailed', attempt: s.last(), reason: 'x' });
          s.clock.advance(10_000);
        }
      },
    ];
    const seen = new Set<string>();
    for (const d of drive) {
      const s = setup();
      d(s);
      seen.add(s.m.state);
      const before = s.connects.length;
      s.m.handle({ type: 'close' });
      expect(s.m.state).toBe('DISCONNECTED');
      expect(s.clock.pendingTimers()).toBe(0);
      s.clock.advance(1_000_000);
      expect(s.connects.length).toBe(before);
      const n = s.transitions.length;
      s.m.handle({ type: 'close' }); // idempotent: no second transition
      expect(s.transitions.length).toBe(n);
      // Exactly one close transition, unless we never left DISCONNECTED.
      expect(s.transitions.filter((t) => t.endsWith('->DISCONNECTED:close')).length).toBe(n === 0 ? 0 : 1);
    }
    expect([...seen].sort()).toEqual(['CONNECTED', 'CONNECTING', 'DISCONNECTED', 'FAILED', 'RECONNECTING']);
  });

  it('close() while an attempt is open aborts it, and its late events change nothing', () => {
    const s = setup();
    s.m.handle({ type: 'start' });
    s.m.handle({ type: 'close' });
    expect(s.aborts).toEqual([{ attempt: 1, reason: 'close' }]);
    s.m.handle({ type: 'connack', attempt: 1 });
    s.m.handle({ type: 'lost', attempt: 1, reason: 'late' });
    expect(s.m.state).toBe('DISCONNECTED');
    expect(s.transitions).toEqual(['DISCONNECTED->CONNECTING:start', 'CONNECTING->DISCONNECTED:close']);
  });

  it('random event sequences: every transition is reported once and chains (no skip, no double)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const s = setup({ max: 4, seed });
      const rnd = seededRandom(seed * 97);
      const states: string[] = [s.m.state];
      s.m.onTransition((f, t) => {
        expect(f).toBe(states[states.length - 1]); // from = the state we were told about last
        expect(t).not.toBe(f);
        states.push(t);
      });
      for (let i = 0; i < 200; i++) {
        const x = rnd();
        const a = s.m.currentAttempt ?? 0;
        if (x < 0.1) s.m.handle({ type: 'start' });
        else if (x < 0.35) s.m.handle({ type: 'connack', attempt: a });
        else if (x < 0.55) s.m.handle({ type: 'attemptFailed', attempt: a, reason: 'r' });
        else if (x < 0.7) s.m.handle({ type: 'lost', attempt: a, reason: 'r' });
        else if (x < 0.75) s.m.handle({ type: 'close' });
        else s.clock.advance(Math.floor(rnd() * 9000));
        expect(s.m.state).toBe(states[states.length - 1]);
        if (s.m.state === 'DISCONNECTED') expect(s.clock.pendingTimers()).toBe(0);
      }
    }
  });
});
