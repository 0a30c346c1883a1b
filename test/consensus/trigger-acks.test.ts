import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { pumpServesZones, TriggerAckTracker } from '../../src/consensus/trigger-acks.js';
import type { TriggerMessage } from '../../src/topics/payloads.js';

/** Issue 17: a trigger stays pending until a pump in its zone reports it, re-sent with the same id. */
function setup(resendMs = 10_000) {
  const clock = new VirtualClock();
  const resent: Array<{ id: string | undefined; remaining: number }> = [];
  const unacked: Array<{ id: string | undefined; resends: number }> = [];
  const tracker = new TriggerAckTracker({
    clock,
    resendMs,
    resend: (p, remaining) => resent.push({ id: p.id, remaining }),
    unacknowledged: (p, resends) => unacked.push({ id: p.id, resends }),
  });
  const trigger = (id: string, ttlS = 120, zones?: string[]): TriggerMessage => {
    const ts = clock.wallNow() / 1000;
    return { action: 'trigger', id, ts, timestamp: ts, expires_at: ts + ttlS, ...(zones ? { zones } : {}) };
  };
  return { clock, tracker, resent, unacked, trigger };
}

describe('TriggerAckTracker', () => {
  it('re-sends an unacknowledged trigger every resend period with the same id and the remaining lifetime', () => {
    const { clock, tracker, resent, trigger } = setup();
    tracker.sent(trigger('t1', 120));
    clock.advance(9_999);
    expect(resent).toEqual([]);
    clock.advance(1);
    expect(resent).toEqual([{ id: 't1', remaining: 110 }]);
    clock.advance(10_000);
    expect(resent.map((r) => r.remaining)).toEqual([110, 100]);
    expect(tracker.snapshot().pending).toEqual([{ id: 't1', ageS: 20, resends: 2 }]);
  });

  it('stops re-sending once a pump reports the trigger, whether it acted on it or refused it', () => {
    const { clock, tracker, resent, unacked, trigger } = setup();
    tracker.sent(trigger('t1'));
    tracker.sent(trigger('t2'));
    clock.advance(10_000);
    expect(resent.map((r) => r.id)).toEqual(['t1', 't2']);
    expect(tracker.ack({ triggerId: 't1', pump: 'p1', accepted: true, reason: null, zones: [] })).toBe(true);
    expect(tracker.ack({ triggerId: 't2', pump: 'p1', accepted: false, reason: 'disarmed', zones: [] })).toBe(true);
    clock.advance(200_000);
    expect(resent).toHaveLength(2);
    expect(unacked).toEqual([]);
    expect(tracker.snapshot()).toMatchObject({ pending: [], unacknowledged: null, lastAck: { triggerId: 't2', pump: 'p1', accepted: false, reason: 'disarmed' } });
  });

  it('latches a trigger that expired with no report, until a later trigger is acknowledged', () => {
    const { clock, tracker, unacked, trigger } = setup();
    tracker.sent(trigger('t1', 30));
    clock.advance(30_000);
    expect(unacked).toEqual([{ id: 't1', resends: 2 }]);
    expect(tracker.snapshot().unacknowledged).toMatchObject({ id: 't1', resends: 2 });
    expect(tracker.snapshot().pending).toEqual([]);
    // A late report of the expired trigger does not clear it: no pump acted in time.
    expect(tracker.ack({ triggerId: 't1', pump: 'p1', accepted: false, reason: 'expired', zones: [] })).toBe(false);
    expect(tracker.snapshot().unacknowledged?.id).toBe('t1');
    tracker.sent(trigger('t2'));
    tracker.ack({ triggerId: 't2', pump: 'p1', accepted: true, reason: null, zones: [] });
    expect(tracker.snapshot().unacknowledged).toBeNull();
  });

  it('counts a report only from a pump serving the trigger zones', () => {
    const { clock, tracker, resent, trigger } = setup();
    tracker.sent(trigger('t1', 120, ['north']));
    expect(tracker.ack({ triggerId: 't1', pump: 'south-pump', accepted: true, reason: null, zones: ['south'] })).toBe(false);
    clock.advance(10_000);
    expect(resent).toHaveLength(1);
    expect(tracker.ack({ triggerId: 't1', pump: 'any-pump', accepted: true, reason: null, zones: [] })).toBe(true);
    expect(tracker.counts).toMatchObject({ acknowledged: 1, acks_ignored: 1, resends: 1 });
  });

  it('does not track a trigger without an id or already expired, and arms no timer after stop', () => {
    const { clock, tracker, resent, unacked, trigger } = setup();
    tracker.sent({ action: 'trigger' });
    tracker.sent(trigger('old', -1));
    tracker.sent(trigger('t1'));
    tracker.stop();
    clock.advance(500_000);
    expect(resent).toEqual([]);
    expect(unacked).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('zone rule matches the pump admission rule', () => {
    expect(pumpServesZones([], ['a'])).toBe(true);
    expect(pumpServesZones(['a'], undefined)).toBe(true);
    expect(pumpServesZones(['a', 'b'], ['b'])).toBe(true);
    expect(pumpServesZones(['a'], ['b'])).toBe(false);
  });
});

describe('consensus with trigger acknowledgement (issue 17)', () => {
  // Imported lazily so the pure tracker tests above do not load the whole consensus part.
  const scenario = async (opts: { pumpAcks: boolean }, config: Record<string, unknown> = {}) => {
    const { Scenario } = await import('./harness.js');
    return new Scenario({ threshold: 1, triggerTtlSeconds: 60, ...config }, { pumpAcks: opts.pumpAcks });
  };

  it('with no pump answering, re-publishes the same trigger every resendSeconds until it expires, then reports it and pages', async () => {
    const s = await scenario({ pumpAcks: false });
    const unacked: string[] = [];
    s.bus.on('consensus.trigger_unacknowledged', 'test', (e) => unacked.push(e.trigger.id ?? ''));
    s.G('a');
    const first = s.link.on('fire/trigger') as TriggerMessage[];
    expect(first).toHaveLength(1);
    const id = first[0].id;
    s.wait(10.5);
    expect(s.service.snapshot().triggerAcks?.pending).toMatchObject([{ id, resends: 1 }]);
    s.wait(60);
    const sent = s.link.published.filter((p) => p.topic === 'fire/trigger');
    // One decision, re-sent with the same id until expiry; each copy expires with the original.
    expect(new Set(sent.map((p) => (p.payload as TriggerMessage).id))).toEqual(new Set([id]));
    expect(sent.length).toBeGreaterThanOrEqual(6);
    expect(sent.slice(1).every((p) => p.opts.expirySeconds !== undefined && p.opts.expirySeconds <= 60)).toBe(true);
    expect(unacked).toEqual([id]);
    expect(s.service.snapshot().triggerAcks?.unacknowledged?.id).toBe(id);
    expect(s.service.metrics()).toMatchObject({ triggers_unacknowledged: 1, triggers_pending_ack: 0 });
  });

  it('an ack from a remote pump over MQTT stops the re-sends', async () => {
    const s = await scenario({ pumpAcks: false });
    s.G('a');
    const id = (s.link.on('fire/trigger') as TriggerMessage[])[0].id!;
    s.wait(10.5);
    s.link.inject('pump/remote/trigger_ack', { v: 1, id: 'x', node_id: 'remote', ts: s.clock.wallNow() / 1000, trigger_id: id, accepted: true, reason: null, zones: [] });
    const before = s.link.on('fire/trigger').length;
    s.wait(120);
    expect(s.link.on('fire/trigger')).toHaveLength(before);
    expect(s.service.snapshot().triggerAcks).toMatchObject({ pending: [], unacknowledged: null, lastAck: { triggerId: id, pump: 'remote', accepted: true } });
  });

  it('a malformed ack is rejected and counted, and changes nothing', async () => {
    const s = await scenario({ pumpAcks: false });
    s.G('a');
    s.link.inject('pump/remote/trigger_ack', { trigger_id: 42 });
    expect(s.rejected().schema).toBe(1);
    expect(s.service.snapshot().triggerAcks?.pending).toHaveLength(1);
  });

  it('with consensus.triggerAck.required false nothing is tracked or re-sent', async () => {
    const s = await scenario({ pumpAcks: false }, { triggerAck: { required: false } });
    s.G('a');
    s.wait(120);
    expect(s.link.on('fire/trigger')).toHaveLength(1);
    expect(s.service.snapshot().triggerAcks).toBeNull();
  });
});

describe('notify', () => {
  it('pages the owner for a trigger no pump acknowledged', async () => {
    const { createClassifier } = await import('../../src/notify/classify.js');
    const n = createClassifier('cons-1').triggerUnacknowledged({ trigger: { action: 'trigger', id: 't9', consensus_cameras: ['a', 'b'] }, resends: 11 });
    expect(n).toMatchObject({ event: 'blocked', kind: 'trigger_unacknowledged', detail: { trigger_id: 't9', cameras: ['a', 'b'], resends: 11 } });
    expect(n.title).toMatch(/NOT acknowledged by any pump/);
  });
});
