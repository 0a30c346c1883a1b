import { describe, expect, it } from 'vitest';
import { G_SIDES, Scenario } from './harness.js';

/**
 * Reference scenarios A–D (docs/scenarios-consensus.md): basic consensus, the growth rule, the time
 * window and the cooldown, in virtual time. D = defaults, T1 = threshold 1.
 */
const T1 = { threshold: 1 };
const WALL0 = 1_764_200_000;

describe('A. basic consensus', () => {
  it('1: one growing camera is below the default threshold of 2', () => {
    const s = new Scenario().G('camA').wait(2);
    expect(s.triggers).toHaveLength(0);
    expect(s.service.snapshot().state).toBe('watching');
  });

  it("2: a second growing camera triggers on its 6th message with the reference's fields", () => {
    const s = new Scenario().G('camA').G('camB').wait(2);
    expect(s.triggerMsgs()).toEqual([12]);
    const p = s.triggers[0].payload;
    expect(p).toMatchObject({
      action: 'trigger',
      confidence: 'high',
      trigger_count: 1,
      consensus_cameras: ['camA', 'camB'],
      fire_locations: [['camA', '0'], ['camB', '0']],
      timestamp: WALL0 + 11,
      node_id: 'cnode',
      id: 'trg-1',
      expires_at: WALL0 + 11 + 120,
    });
    expect(s.link.published.find((m) => m.topic === 'fire/trigger')?.opts).toEqual({ qos: 1, priority: 1, expirySeconds: 120 });
  });

  it('3: interleaved cameras trigger at message 12; camB stopping after 5 frames does not', () => {
    const s = new Scenario();
    for (const side of G_SIDES) s.det('camA', side).wait(0.1).det('camB', side).wait(0.1);
    expect(s.triggerMsgs()).toEqual([12]);
    const n = new Scenario();
    G_SIDES.forEach((side, i) => {
      n.det('camA', side).wait(0.1);
      if (i < 5) n.det('camB', side).wait(0.1);
    });
    n.wait(2);
    expect(n.triggers).toHaveLength(0);
  });

  it('4: threshold 1 triggers on the 6th message, not after 5', () => {
    const s = new Scenario(T1).G('camA');
    expect(s.triggerMsgs()).toEqual([6]);
    expect(s.triggers[0].payload).toMatchObject({ consensus_cameras: ['camA'], fire_locations: [['camA', '0']] });
    const five = new Scenario(T1).dets('camA', G_SIDES.slice(0, 5)).wait(2);
    expect(five.triggers).toHaveLength(0);
  });

  it('5: W=2 needs 4 samples, W=1 needs 2', () => {
    expect(new Scenario({ ...T1, movingAverageWindow: 2 }).dets('c', [0.1, 0.11, 0.12, 0.13]).triggerMsgs()).toEqual([4]);
    expect(new Scenario({ ...T1, movingAverageWindow: 1 }).dets('c', [0.1, 0.11]).triggerMsgs()).toEqual([2]);
    expect(new Scenario({ ...T1, movingAverageWindow: 2 }).dets('c', [0.1, 0.11, 0.12]).wait(2).triggers).toHaveLength(0);
  });

  it('6: W=10 needs 20 samples', () => {
    const s = new Scenario({ ...T1, movingAverageWindow: 10 }).ars('c', Array.from({ length: 20 }, (_, i) => 0.01 + 0.002 * i));
    expect(s.triggerMsgs()).toEqual([20]);
  });

  it('7: threshold 3 needs a third camera', () => {
    const s = new Scenario({ threshold: 3 }).G('A').G('B');
    expect(s.triggers).toHaveLength(0);
    s.G('C');
    expect(s.triggerMsgs()).toEqual([18]);
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['A', 'B', 'C']);
  });

  it('8: two growing objects on one camera count once', () => {
    const s = new Scenario().G('c', { object_id: 'a' }).G('c', { object_id: 'b' });
    expect(s.triggers).toHaveLength(0);
    s.G('d');
    expect(s.triggerMsgs()).toEqual([18]);
    expect(s.triggers[0].payload.fire_locations).toEqual([['c', 'a'], ['c', 'b'], ['d', '0']]);
  });

  it('9: consensus_cameras follow camera creation order (status first), not detection order', () => {
    const s = new Scenario();
    for (const c of ['cam1', 'cam2', 'cam3']) s.send(`camera/${c}/status`, { status: 'online' });
    s.G('cam3').G('cam1');
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['cam1', 'cam3']);
  });
});

describe('B. growth rule', () => {
  const mustTrigger: Array<[string, number[]]> = [
    ['steady', [0.01, 0.011, 0.013, 0.015, 0.018, 0.021]],
    ['noisy', [0.01, 0.015, 0.012, 0.018, 0.016, 0.022]],
    ['linear', [0.01, 0.015, 0.02, 0.025, 0.03, 0.035]],
    ['moderate', [0.01, 0.012, 0.015, 0.018, 0.022, 0.026]],
    ['exponential', Array.from({ length: 6 }, (_, i) => 0.002 * 1.3 ** i)],
  ];
  it.each(mustTrigger)('10: %s growth triggers on the 6th message', (_n, areas) => {
    expect(new Scenario(T1).ars('c', areas).triggerMsgs()).toEqual([6]);
  });

  const mustNot: Array<[string, number[]]> = [
    ['shrinking', [0.025, 0.022, 0.02, 0.018, 0.015, 0.012, 0.01, 0.008]],
    ['shrinking 0.9^i', Array.from({ length: 8 }, (_, i) => 0.02 * 0.9 ** i)],
    ['too few samples', [0.01, 0.013, 0.016, 0.02]],
  ];
  it.each(mustNot)('11/13: %s never triggers', (_n, areas) => {
    expect(new Scenario(T1).ars('c', areas).wait(5).triggers).toHaveLength(0);
  });

  it('12: flat never triggers at 1.2, but does at ratio 1.0 (>=)', () => {
    expect(new Scenario(T1).dets('c', Array(8).fill(0.1)).wait(5).triggers).toHaveLength(0);
    expect(new Scenario({ ...T1, areaIncreaseRatio: 1.0 }).dets('c', Array(6).fill(0.1)).triggerMsgs()).toEqual([6]);
  });

  it('14: the ratio boundary is inclusive', () => {
    const run = (widths: number[]) => {
      const s = new Scenario({ ...T1, areaIncreaseRatio: 2.0 });
      for (let i = 0; i < 3; i++) s.send('fire/detection', { camera_id: 'c', confidence: 0.85, bbox: [0, 0, 0.25, 0.25] }).wait(1);
      for (const w of widths) s.send('fire/detection', { camera_id: 'c', confidence: 0.85, bbox: [0, 0, w, 0.25] }).wait(1);
      return s.wait(2).triggerMsgs();
    };
    expect(run([0.5, 0.5, 0.5])).toEqual([6]);
    expect(run([0.5, 0.49, 0.49])).toEqual([]);
    expect(run([0.5, 0.49, 0.5])).toEqual([6]);
  });

  it('15: medians ignore one spike but follow two (same object id)', () => {
    const f = { object_id: 'f' };
    expect(new Scenario(T1).dets('c', [0.1, 0.1, 0.1, 0.1, 0.5, 0.1], f).wait(2).triggers).toHaveLength(0);
    expect(new Scenario(T1).dets('c', [0.1, 0.1, 0.1, 0.5, 0.5, 0.1], f).triggerMsgs()).toEqual([6]);
  });

  it('15b: without ids, a box 25x larger is another object (IoU association), so a spike never grows a track', () => {
    const s = new Scenario(T1).dets('c', [0.1, 0.1, 0.1, 0.5, 0.5, 0.1]).wait(2);
    expect(s.triggers).toHaveLength(0);
    expect(s.service.snapshot().cameras.find((c) => c.id === 'c')?.tracks).toBe(2);
  });

  it('16: only the oldest and newest W samples matter', () => {
    const s = new Scenario(T1).dets('c', [0.1, 0.1, 0.1, 0.05, 0.05, 0.12], { object_id: 'x' });
    expect(s.triggers).toHaveLength(0);
    s.det('c', 0.12, { object_id: 'x' });
    expect(s.triggerMsgs()).toEqual([7]);
  });

  it('17: an older larger sample in the window suppresses growth; after the window it does not', () => {
    const x = { object_id: 'x' };
    expect(new Scenario(T1).dets('c', [0.2, 0.2, 0.2], x).G('c', x).wait(2).triggers).toHaveLength(0);
    const later = new Scenario(T1).dets('c', [0.2, 0.2, 0.2], x).wait(40).G('c', x);
    expect(later.triggerMsgs()).toEqual([9]);
  });

  it('18: objects are separate tracks', () => {
    const s = new Scenario(T1).dets('c', [0.1, 0.11, 0.12], { object_id: 'a' }).dets('c', [0.13, 0.14, 0.15], { object_id: 'b' }).wait(2);
    expect(s.triggers).toHaveLength(0);
  });

  it('19: object_id 1 and "1" are the same object', () => {
    const s = new Scenario(T1).dets('c', [0.1, 0.11, 0.12], { object_id: 1 }).dets('c', [0.13, 0.14, 0.15], { object_id: '1' });
    expect(s.triggerMsgs()).toEqual([6]);
    expect(s.triggers[0].payload.fire_locations).toEqual([['c', '1']]);
  });

  it('20: legacy messages carry no id, so the same frame on two topics cannot be told apart', () => {
    const s = new Scenario(T1);
    for (const side of [0.1, 0.12, 0.14]) s.det('c', side).det('c', side, {}, 'fire/detection/c').wait(1);
    expect(s.triggerMsgs()).toEqual([6]);
  });
});

describe('C. time window', () => {
  it('21: samples older than the window do not count', () => {
    expect(new Scenario().G('A').at(36).G('B').wait(2).triggers).toHaveLength(0);
    expect(new Scenario({ windowSeconds: 10 }).G('A').at(16).G('B').wait(2).triggers).toHaveLength(0);
  });

  it('22: the window edge is inclusive (30.000 counts, 30.001 does not)', () => {
    const edge = new Scenario().dets('A', G_SIDES, {}, 0).at(30).dets('B', G_SIDES, {}, 0);
    expect(edge.triggerMsgs()).toEqual([12]);
    const past = new Scenario().dets('A', G_SIDES, {}, 0).at(30.001).dets('B', G_SIDES, {}, 0).wait(2);
    expect(past.triggers).toHaveLength(0);
  });

  it('23: the legacy payload timestamp is ignored', () => {
    const s = new Scenario(T1).G('c', { timestamp: WALL0 - 3600 });
    expect(s.triggerMsgs()).toEqual([6]);
  });

  it('24 (changed): a 5 s window is honoured, not clamped to 10 s', () => {
    expect(new Scenario({ windowSeconds: 5 }).dets('A', G_SIDES, {}, 0).at(8).dets('B', G_SIDES, {}, 0).wait(1).triggers).toHaveLength(0);
    expect(new Scenario({ windowSeconds: 10 }).dets('A', G_SIDES, {}, 0).at(8).dets('B', G_SIDES, {}, 0).triggerMsgs()).toEqual([12]);
  });
});

describe('D. cooldown', () => {
  const growing20 = Array.from({ length: 20 }, (_, i) => 0.1 + 0.01 * i);

  it('25/26: one trigger per cooldown; after it, stale history does not trigger but a new fire does', () => {
    const s = new Scenario(T1).dets('c', growing20);
    expect(s.triggerMsgs()).toEqual([6]);
    s.at(305).det('c', 0.3).wait(2);
    expect(s.triggers).toHaveLength(1);
    s.at(400).G('c');
    expect(s.triggers.map((t) => [t.msg, t.payload.trigger_count])).toEqual([[6, 1], [27, 2]]);
  });

  it('27: cooldown 10 re-triggers exactly at expiry while growth persists', () => {
    const s = new Scenario({ ...T1, cooldownSeconds: 10 }).dets('c', growing20.slice(0, 19));
    expect(s.triggers.map((t) => t.at)).toEqual([5, 15]);
  });

  it('28: cooldown 0 triggers on every message while the baseline is in the window', () => {
    const s = new Scenario({ ...T1, cooldownSeconds: 0 }).dets('c', Array.from({ length: 8 }, (_, i) => 0.1 + 0.01 * i), {}, 0.1);
    expect(s.triggers.map((t) => [t.msg, t.payload.trigger_count])).toEqual([[6, 1], [7, 2], [8, 3]]);
    const flat = new Scenario({ ...T1, cooldownSeconds: 0 }).G('c', {}, 0.1).dets('c', [0.15, 0.15, 0.15], {}, 0.1);
    expect(flat.triggerMsgs()).toEqual([6, 7, 8, 9]);
  });

  it('29: the cooldown is global across cameras', () => {
    const s = new Scenario().G('A').G('B').G('C').G('D').wait(5);
    expect(s.triggerMsgs()).toEqual([12]);
  });

  it('30: after the cooldown a trigger comes from retained history', () => {
    const s = new Scenario({ ...T1, cooldownSeconds: 5 });
    const burst = (id: string) => s.dets('cam1', Array.from({ length: 12 }, (_, i) => 0.1 + 0.01 * i), { object_id: id }, 0.1);
    burst('fire1');
    expect(s.triggers.map((t) => t.at)).toEqual([0.5]);
    s.wait(2);
    burst('fire2');
    expect(s.triggers).toHaveLength(1);
    // Our timer notices the expiry (5.5 s) at its next tick, without waiting for burst 3.
    s.at(6.5);
    expect(s.triggers.map((t) => [t.at, t.msg])).toEqual([[0.5, 6], [6, 0]]);
    expect(s.triggers[1].payload.fire_locations).toEqual([['cam1', 'fire1'], ['cam1', 'fire2']]);
    burst('fire3');
    expect(s.triggers).toHaveLength(2);
  });
});
