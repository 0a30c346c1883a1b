import { describe, expect, it } from 'vitest';
import { triggerSchema, consensusStateSchema } from '../../src/topics/payloads.js';
import { G_SIDES, Scenario, ownMessage } from './harness.js';

/**
 * docs/consensus.md "Differences from the reference, on purpose", and the parts the reference lacks:
 * class filter, false positives, de-duplication, persistence, masks, allow-list, node availability,
 * capture-time staleness, durable and local-first triggers, timer evaluation, bounded memory.
 */
const T1 = { threshold: 1 };
const WALL0 = 1_764_200_000_000;
/** A growing own-format box for step i. */
const gbox = (i: number) => [0.1, 0.1, 0.1 + G_SIDES[i % 6] + 0.01 * Math.floor(i / 6), 0.1 + G_SIDES[i % 6] + 0.01 * Math.floor(i / 6)];

describe('class filter', () => {
  it('a person or car never counts, on any input', () => {
    const s = new Scenario(T1);
    for (let i = 0; i < 6; i++) {
      s.det('c', G_SIDES[i], { label: 'person', object: 'person', class: 'person' });
      s.own('o', [{ label: 'car', box: gbox(i), track: 1 }]);
      s.send('frigate/events', { type: 'update', after: { id: 'p', camera: 'f', label: 'person', top_score: 0.9, box: [100, 100, 200 + 10 * i, 200 + 10 * i] } });
      s.wait(1);
    }
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected().label_not_counted).toBe(18);
  });

  it('an own message keeps its fire detections and drops the others', () => {
    const s = new Scenario(T1);
    for (let i = 0; i < 6; i++) s.own('o', [{ label: 'person', box: [0.6, 0.6, 0.9, 0.9] }, { label: 'fire', box: gbox(i), track: 3 }]).wait(1);
    expect(s.triggers[0].payload.fire_locations).toEqual([['o', '3']]);
    expect(s.triggers[0].payload.evidence).toEqual([
      { camera: 'o', track: '3', label: 'fire', max_score: expect.closeTo(0.9, 6), early_median_area: expect.closeTo(0.0121, 9), late_median_area: expect.closeTo(0.0196, 9), reason: 'growing' },
    ]);
  });

  it("own detections are accepted at the sender's model threshold, raised by minScore", () => {
    const run = (score: number, cfg: Record<string, unknown> = {}) => {
      const s = new Scenario({ ...T1, ...cfg });
      for (let i = 0; i < 6; i++) s.own('o', [{ box: gbox(i), track: 1, score }]).wait(1);
      return s.triggers.length;
    };
    expect(run(0.5)).toBe(1); // model.threshold 0.5 is inclusive
    expect(run(0.49)).toBe(0);
    expect(run(0.6, { minScore: 0.7 })).toBe(0);
  });
});

describe('de-duplication', () => {
  it('the same message id from the bus and MQTT counts once', () => {
    const s = new Scenario(T1);
    for (let i = 0; i < 5; i++) {
      const msg = ownMessage('cam', [{ box: gbox(i), track: 1 }]);
      s.bus.emit('detections', { camera: 'cam', message: msg });
      s.send('fire/detection/cam', msg);
      s.wait(1);
    }
    expect(s.triggers).toHaveLength(0);
    expect(s.service.metrics()).toMatchObject({ detections_accepted: 5, rejected: { duplicate: 5 } });
    s.bus.emit('detections', { camera: 'cam', message: ownMessage('cam', [{ box: gbox(5), track: 1 }]) });
    expect(s.link.on('fire/trigger')).toHaveLength(1);
  });

  it('a retained detection is never evidence', () => {
    const s = new Scenario(T1);
    s.link.inject('fire/detection/cam', ownMessage('cam', [{ box: gbox(0) }]), { retained: true });
    expect(s.rejected().retained).toBe(1);
    expect(s.service.snapshot().cameras).toHaveLength(0);
  });
});

describe('persistence (opt-in)', () => {
  const steady = (s: Scenario, seconds: number, label = 'fire', step = 1) => {
    for (let t = 0; t <= seconds; t += step) s.own('big', [{ label, box: [0.2, 0.2, 0.7, 0.7], track: 1 }]).wait(step);
    return s;
  };

  it('a large steady fire triggers via persistence, and only when enabled', () => {
    expect(steady(new Scenario(T1), 40).triggers).toHaveLength(0);
    const s = steady(new Scenario({ ...T1, persistSeconds: 20 }), 25);
    expect(s.triggers).toHaveLength(1);
    expect(s.triggers[0].at).toBe(20);
    expect(s.triggers[0].payload.evidence?.[0]).toMatchObject({ reason: 'persistent', track: '1' });
  });

  it('persistence counts fire only, and a gap restarts the run', () => {
    expect(steady(new Scenario({ ...T1, persistSeconds: 20 }), 40, 'smoke').triggers).toHaveLength(0);
    const s = new Scenario({ ...T1, persistSeconds: 20 });
    steady(s, 12).wait(8); // a 9 s gap > max(5 s, 3 × 1 s)
    steady(s, 15);
    expect(s.triggers).toHaveLength(0);
    steady(s, 6);
    expect(s.triggers).toHaveLength(1);
  });

  it('the gap allowance is 3 × the cadence seen before the gap, not widened by the gap itself', () => {
    // One message every 2 s: allowance max(5 s, 3 × 2 s) = 6 s.
    const ok = new Scenario({ ...T1, persistSeconds: 30 });
    steady(ok, 20, 'fire', 2).wait(4); // a 6 s gap: within the allowance, the run goes on
    steady(ok, 10, 'fire', 2);
    expect(ok.triggers.map((t) => t.at)).toEqual([30]);
    const broken = new Scenario({ ...T1, persistSeconds: 30 });
    steady(broken, 20, 'fire', 2).wait(8); // a 10 s gap: the run restarts at t = 30
    steady(broken, 26, 'fire', 2);
    expect(broken.triggers).toHaveLength(0);
    steady(broken, 6, 'fire', 2);
    expect(broken.triggers.map((t) => t.at)).toEqual([60]);
  });

  it('persistence is reached on the timer without new input', () => {
    const s = new Scenario({ ...T1, persistSeconds: 5 });
    for (let t = 0; t < 4; t++) s.own('big', [{ box: [0.2, 0.2, 0.7, 0.7], track: 1 }]).wait(1.5);
    expect(s.triggers.map((t) => t.msg)).toEqual([0]);
  });
});

describe('masks and the allow-list', () => {
  it('a masked region never triggers (rectangle and polygon)', () => {
    for (const masks of [[[0, 0, 0.5, 0.5]], [[[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]]]) {
      const s = new Scenario({ ...T1, cameras: { c: { masks } } }).G('c').wait(2);
      expect(s.triggers).toHaveLength(0);
      expect(s.rejected().masked).toBe(6);
      // The same fire outside the mask triggers.
      const out = new Scenario({ ...T1, cameras: { c: { masks } } });
      for (const side of G_SIDES) out.send('fire/detection', { camera_id: 'c', confidence: 0.85, bbox: [0.6, 0.6, 0.6 + side, 0.6 + side] }).wait(1);
      expect(out.triggers).toHaveLength(1);
    }
  });

  it('an unlisted camera is refused when cameras are listed', () => {
    const s = new Scenario({ ...T1, cameras: { north: {} } }).G('intruder').send('camera/intruder/status', { status: 'online' }).wait(2);
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected().unlisted_camera).toBe(7);
    expect(s.service.snapshot().cameras.map((c) => c.id)).toEqual(['north']);
    expect(new Scenario({ ...T1, cameras: { north: {} } }).G('north').triggers).toHaveLength(1);
  });
});

describe('availability and time', () => {
  it('a camera whose node goes offline stops voting, and votes again when it returns', () => {
    const s = new Scenario();
    for (let i = 0; i < 6; i++) s.own('A', [{ box: gbox(i), track: 1 }], { node_id: 'n1' }).wait(1);
    s.send('system/n1/availability', 'offline');
    for (let i = 0; i < 6; i++) s.own('B', [{ box: gbox(i), track: 1 }], { node_id: 'n2' }).wait(1);
    expect(s.triggers).toHaveLength(0);
    expect(s.service.snapshot().cameras.find((c) => c.id === 'A')).toMatchObject({ voting: false, node: 'n1' });
    s.send('system/n1/availability', 'online').wait(1);
    expect(s.triggers).toHaveLength(1);
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['A', 'B']);
  });

  it("our own node's retained offline (a previous run's will) never silences local cameras", () => {
    const s = new Scenario(T1).send('system/cnode/availability', 'offline');
    for (let i = 0; i < 6; i++) s.bus.emit('detections', { camera: 'local', message: ownMessage('local', [{ box: gbox(i), track: 1 }], { node_id: 'cnode' }) });
    expect(s.link.on('fire/trigger')).toHaveLength(1);
  });

  it('logs cameras starting and stopping to vote, with the reason', () => {
    const s = new Scenario({ cameraTimeoutSeconds: 10 }).det('A', 0.1).wait(12);
    const lines = s.log.lines.filter((l) => l.msg.startsWith('camera')).map((l) => [l.msg, l.camera, l.reason, l.level]);
    expect(lines).toEqual([
      ['camera voting', 'A', 'heard', 30],
      ['camera stopped voting', 'A', 'silent for 11 s (cameraTimeoutSeconds 10)', 30],
    ]);
  });

  it('a backlog older than the window is history only; with an unsynced clock capture times are ignored', () => {
    const backlog = (s: Scenario, ageS: number) => {
      for (let i = 0; i < 6; i++) s.own('c', [{ box: gbox(i), track: 1 }], { frame: { width: 640, height: 360, captured_at: (s.clock.wallNow() - ageS * 1000) / 1000 } }).wait(0.1);
      return s;
    };
    const old = backlog(new Scenario(T1), 40).wait(3);
    expect(old.triggers).toHaveLength(0);
    expect(old.service.metrics().stale_messages).toBe(6);
    expect(backlog(new Scenario(T1), 10).triggers).toHaveLength(1);
    const unsynced = new Scenario(T1);
    unsynced.synced = false;
    expect(backlog(unsynced, 40).triggers).toHaveLength(1);
  });

  it('the bus carries the capture time in ms (capturedAtMs) and consensus judges age by it, never by the wire seconds', () => {
    const viaBus = (ageS: number, wireSeconds?: number) => {
      const s = new Scenario(T1);
      for (let i = 0; i < 6; i++) {
        const frame = { width: 640, height: 360, captured_at: wireSeconds };
        s.bus.emit('detections', { camera: 'local', message: ownMessage('local', [{ box: gbox(i), track: 1 }], { frame }), capturedAtMs: s.clock.wallNow() - ageS * 1000 });
        s.wait(0.1);
      }
      return s.wait(3);
    };
    expect(viaBus(40).service.metrics().stale_messages).toBe(6);
    expect(viaBus(40).triggers).toHaveLength(0);
    expect(viaBus(10).triggers).toHaveLength(1);
    // A wire field that says "ancient" is not read on the bus path: the ms value decides.
    expect(viaBus(1, 1).triggers).toHaveLength(1);
  });

  it('a stale message does not complete a trigger by itself; a fresh one (or the timer) does', () => {
    // Timer every 4 s (4, 8, 12, 16); the cooldown of the trigger at t = 0.5 ends at 10.5.
    const run = (ageS: number) => {
      const s = new Scenario({ ...T1, cooldownSeconds: 10, evaluateIntervalMs: 4000 });
      for (let i = 0; i < 6; i++) s.own('c', [{ box: gbox(i), track: 1 }]).wait(0.1);
      s.at(11);
      s.own('x', [{ box: [0.5, 0.5, 0.6, 0.6] }], { frame: { width: 1, height: 1, captured_at: (s.clock.wallNow() - ageS * 1000) / 1000 } });
      return s;
    };
    expect(run(31).triggers.map((t) => t.at)).toEqual([0.5]);
    expect(run(1).triggers.map((t) => t.at)).toEqual([0.5, 11]);
    expect(run(31).at(12).triggers.map((t) => [t.at, t.msg])).toEqual([[0.5, 6], [12, 0]]);
  });

  it('re-triggers after the cooldown on the timer while consensus holds (the reference waited for input)', () => {
    const s = new Scenario({ ...T1, cooldownSeconds: 10 }).dets('c', [0.1, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16]).at(16);
    expect(s.triggers.map((t) => [t.at, t.msg, t.payload.trigger_count])).toEqual([[5, 6, 1], [15, 0, 2]]);
    // Once the growth leaves the window, re-triggering stops.
    s.at(100);
    expect(s.triggers).toHaveLength(3);
  });
});

describe('outputs', () => {
  it('a trigger decided with the broker down reaches the bus at once and the durable outbox (QoS 1)', () => {
    const s = new Scenario(T1);
    s.link.setState('RECONNECTING', 'broker gone');
    s.G('c');
    expect(s.busTriggers).toHaveLength(1);
    const pub = s.link.published.filter((p) => p.topic === 'fire/trigger');
    expect(pub).toHaveLength(1);
    expect(pub[0].opts).toEqual({ qos: 1, priority: 1, expirySeconds: 120 });
    expect(pub[0].payload).toEqual(s.busTriggers[0]);
  });

  it('the trigger payload validates against triggerSchema with every reference and added field', () => {
    const s = new Scenario().G('a').G('b');
    const p = triggerSchema.parse(s.triggers[0].payload);
    expect(p).toMatchObject({ v: 1, action: 'trigger', confidence: 'high', service_id: 'fire_consensus@cnode', node_id: 'cnode', trigger_count: 1 });
    expect(p.expires_at! - p.timestamp!).toBe(120);
    expect(p.ts).toBe(p.timestamp);
    expect(p.evidence?.map((e) => e.camera)).toEqual(['a', 'b']);
  });

  it('publishes consensus/<node>/state retained on every change and marks the decision on the bus', () => {
    // Window 15 s: the growth leaves the window (t = 20) before the cooldown ends (t = 29).
    const s = new Scenario({ ...T1, cooldownSeconds: 20, windowSeconds: 15 });
    const retained = () => consensusStateSchema.parse(s.link.lastValues.get('consensus/cnode/state'));
    expect(retained()).toMatchObject({ state: 'idle', cameras_seeing_fire: [], threshold: 1, last_trigger: null });
    s.dets('c', [0.2, 0.2, 0.2, 0.2], { object_id: 'x' });
    expect(retained().state).toBe('idle');
    s.dets('c', [0.1, 0.11, 0.12, 0.13, 0.14, 0.15]);
    expect(retained()).toMatchObject({ state: 'triggered', cameras_seeing_fire: ['c'], last_trigger: { id: 'trg-1', ts: (WALL0 + 9000) / 1000 } });
    s.at(41);
    expect(retained().state).toBe('idle');
    const names = s.states.map((x) => x.state);
    expect(names.filter((n, i) => n !== names[i - 1])).toEqual(['idle', 'triggered', 'cooldown', 'idle']);
    const decided = s.states.filter((x) => x.decided);
    expect(decided).toHaveLength(1);
    expect(decided[0].decided?.id).toBe('trg-1');
    expect(s.log.lines.some((l) => l.msg === 'fire trigger decided' && l.level === 30)).toBe(true);
  });

  it('watching below the threshold', () => {
    const s = new Scenario().G('a');
    expect(s.link.lastValues.get('consensus/cnode/state')).toMatchObject({ state: 'watching', cameras_seeing_fire: ['a'], threshold: 2 });
  });

  it('start() twice subscribes once', async () => {
    const s = new Scenario(T1);
    await s.service.start();
    expect(s.bus.listenerCount('detections')).toBe(1);
    s.G('c');
    expect(s.service.metrics().detections_accepted).toBe(6);
  });

  it('stop() removes every subscription and the timer', async () => {
    const s = new Scenario(T1);
    await s.service.stop();
    s.G('c').wait(5);
    expect(s.triggers).toHaveLength(0);
    expect(s.clock.pendingTimers()).toBe(0);
    expect(s.bus.listenerCount('detections')).toBe(0);
  });
});

describe('bounded memory', () => {
  it('tracks per camera are capped, evicting the least recently seen', () => {
    const s = new Scenario({ maxTracksPerCamera: 2 });
    for (const id of ['a', 'b', 'c']) s.det('cam', 0.1, { object_id: id }).wait(1);
    expect(s.service.metrics()).toMatchObject({ tracks: 2, tracks_evicted: 1 });
  });

  it('cameras are capped; only a camera that cannot vote anyway makes room', () => {
    const s = new Scenario({ maxCameras: 2, cameraTimeoutSeconds: 10 });
    s.det('a', 0.1).det('b', 0.1).det('c', 0.1);
    expect(s.rejected().camera_cap).toBe(1);
    s.wait(11).det('c', 0.1);
    expect(s.service.metrics()).toMatchObject({ cameras: 2, cameras_evicted: 1 });
  });

  it('57 (changed): no 100-sample cap, so a high frame rate keeps the growth baseline', () => {
    const s = new Scenario();
    s.ars('camA', [0.01, 0.01, 0.01], { object_id: 'o' }, 0.1).ars('camA', Array(100).fill(0.02), { object_id: 'o' }, 0.1);
    s.G('camB', {}, 0.1);
    expect(s.triggerMsgs()).toEqual([109]);
  });

  it('57 at the memory cap: a long window at 10 fps thins the history but keeps the baseline', () => {
    // Window 130 s × 10 messages/s = 1300 samples > the 1024 a track keeps. Dropping the oldest
    // would lose the 0.01 baseline (camA would stop growing); thinning keeps it.
    const s = new Scenario({ windowSeconds: 130, cooldownSeconds: 3600 });
    s.ars('camA', [0.01, 0.01, 0.01], { object_id: 'o' }, 0.1).ars('camA', Array(1200).fill(0.02), { object_id: 'o' }, 0.1);
    expect(s.service.metrics().samples_thinned).toBeGreaterThan(0);
    s.G('camB', {}, 0.1);
    expect(s.triggerMsgs()).toEqual([1209]);
  });

  it('66: snapshot and metrics after a single-camera trigger', () => {
    const s = new Scenario(T1).G('c');
    const snap = s.service.snapshot();
    expect(snap).toMatchObject({ state: 'triggered', triggerCount: 1, camerasSeeingFire: ['c'], lastTrigger: { id: 'trg-1' } });
    expect(snap.cameras).toEqual([{ id: 'c', node: null, status: 'unknown', voting: true, nodeOnline: null, effectiveStatus: 'unknown', seesFire: true, tracks: 1, silentMs: 1000, listed: false }]);
    expect(snap.lastTriggerMessage?.id).toBe('trg-1');
    expect(s.service.metrics()).toMatchObject({ messages_accepted: 6, detections_accepted: 6, tracks: 1, cameras: 1, cameras_online: 1, cameras_seeing_fire: 1, triggers: 1 });
  });

  it('tracks expire after the window and the samples of a track are bounded by time', () => {
    const s = new Scenario({ threshold: 1, windowSeconds: 10 });
    for (let i = 0; i < 200; i++) s.det('cam', 0.1, { object_id: 'x' }).wait(0.1);
    expect(s.service.metrics().tracks).toBe(1);
    s.wait(20);
    expect(s.service.metrics().tracks).toBe(0);
  });
});
