import { describe, expect, it } from 'vitest';
import { G_SIDES, Scenario } from './harness.js';

/**
 * Reference scenarios E–G and I (docs/scenarios-consensus.md): direct-detection validation, Frigate
 * events, camera status, zones. Where docs/consensus.md deliberately differs, the test name says so.
 */
const T1 = { threshold: 1 };
const WALL0S = 1_764_200_000;
const frameOf = (s: Scenario, cam: string) => s.service.snapshot().cameras.find((c) => c.id === cam);
const legacy = (bbox: unknown, extra: Record<string, unknown> = {}) => ({ camera_id: 'c', confidence: 0.85, bbox, ...extra });

/** Area accepted for a box, read back from the trigger evidence (flat series, ratio 1.0). */
function areaOf(box: number[], config: Record<string, unknown> = {}, topic = 'fire/detection'): number | undefined {
  const s = new Scenario({ ...T1, areaIncreaseRatio: 1.0, ...config });
  for (let i = 0; i < 6; i++) s.send(topic, legacy(box)).wait(1);
  return s.triggers[0]?.payload.evidence?.[0].early_median_area;
}

describe('E. direct-detection validation', () => {
  it('32: the confidence threshold is inclusive; below it the camera never appears', () => {
    expect(new Scenario(T1).G('c', { confidence: 0.7 }).triggerMsgs()).toEqual([6]);
    const low = new Scenario(T1).G('c', { confidence: 0.69 }).wait(2);
    expect(low.triggers).toHaveLength(0);
    expect(frameOf(low, 'c')).toBeUndefined();
    expect(low.rejected().below_threshold).toBe(6);
  });

  it.each([[undefined], ['abc'], [null], ['0.9'], [85], [true], ['NaN']])('33 (stricter): confidence %j never counts', (conf) => {
    const s = new Scenario(T1).G('c', { confidence: conf }).wait(2);
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected().bad_score).toBe(6);
  });

  it('34: the topic level names the camera', () => {
    const s = new Scenario(T1).dets('payloadcam', G_SIDES, {}, 1, 'fire/detection/topiccam');
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['topiccam']);
  });

  it.each([[{ camera_id: undefined }], [{ camera_id: '' }], [{ camera_id: null }], [{ camera_id: 'unknown' }], [{ camera_id: 0 }]])('35: camera id %j is refused', (extra) => {
    const s = new Scenario(T1).G('x', extra).wait(2);
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected().missing_camera).toBe(6);
  });

  it('35: an empty camera level in the topic is refused', () => {
    const s = new Scenario(T1).dets('c', G_SIDES, {}, 1, 'fire/detection/').wait(2);
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected().missing_camera).toBe(6);
  });

  it('36: bounding_box works; an unusable bbox falls back to it; bbox wins when both are valid', () => {
    const grow = (i: number) => [0.1, 0.1, 0.1 + G_SIDES[i], 0.1 + G_SIDES[i]];
    const run = (payload: (i: number) => Record<string, unknown>) => {
      const s = new Scenario(T1);
      for (let i = 0; i < 6; i++) s.send('fire/detection', { camera_id: 'c', confidence: 0.85, ...payload(i) }).wait(1);
      return s.triggerMsgs();
    };
    expect(run((i) => ({ bounding_box: grow(i) }))).toEqual([6]);
    expect(run((i) => ({ bbox: [], bounding_box: grow(i) }))).toEqual([6]);
    expect(run((i) => ({ bbox: grow(i), bounding_box: [0.1, 0.1, 0.2, 0.2] }))).toEqual([6]);
    expect(run((i) => ({ bbox: [0.1, 0.1, 0.2, 0.2], bounding_box: grow(i) }))).toEqual([]);
  });

  it.each([[undefined], [[0.1, 0.2]], [null], ['abcd'], [{ x1: 0, y1: 0, x2: 1, y2: 1 }], [['0.1', '0.1', '0.2', '0.2']], ['not_a_list'], [[0.1, 0.1, 0.2, 0.2, 0.3]]])(
    '37: box %j is refused',
    (box) => {
      const s = new Scenario(T1);
      for (let i = 0; i < 6; i++) s.send('fire/detection', legacy(box)).wait(1);
      expect(s.triggers).toHaveLength(0);
      expect(s.rejected().bad_box).toBe(6);
    },
  );

  it.each([[[-0.1, 0, 0.1, 0.1]], [[0, 0, 0, 0]], [[0.3, 0.3, 0.2, 0.2]], [[0.1, 0.1, 0.05, 0.05]]])('38/39: negative, empty, inverted or xywh box %j is refused', (box) => {
    const s = new Scenario(T1).send('fire/detection', legacy(box));
    expect(s.rejected().bad_box).toBe(1);
    expect(frameOf(s, 'c')).toBeUndefined();
  });

  it.each(['NaN', 'Infinity', '-Infinity'])('38: a %s literal anywhere makes the payload invalid JSON', (lit) => {
    const s = new Scenario(T1);
    for (let pos = 0; pos < 4; pos++) {
      const box = ['0.1', '0.1', '0.2', '0.2'];
      box[pos] = lit;
      s.send('fire/detection', `{"camera_id":"c","confidence":0.85,"bbox":[${box.join(',')}]}`);
    }
    s.send('fire/detection', `{"camera_id":"c","confidence":${lit},"bbox":[0.1,0.1,0.2,0.2]}`);
    expect(s.rejected().non_json).toBe(5);
    expect(frameOf(s, 'c')).toBeUndefined();
  });

  it('40: normalised area limits are inclusive', () => {
    const accepted = (box: number[]) => {
      const s = new Scenario(T1).send('fire/detection', legacy(box));
      return frameOf(s, 'c') !== undefined;
    };
    expect(accepted([0.1, 0.2, 0.13, 0.23])).toBe(false);
    expect(accepted([0, 0, 0.9, 0.9])).toBe(false);
    expect(accepted([0, 0, 1, 0.8])).toBe(true);
    expect(accepted([0, 0, 1, 1])).toBe(false);
    expect(accepted([0, 0, 0.1, 0.01])).toBe(true); // exactly minAreaRatio 0.001
  });

  it('41: pixel boxes are normalised by 1920x1080 unless the camera resolution is configured', () => {
    expect(areaOf([100, 200, 300, 400])).toBeCloseTo(40000 / 2073600, 9);
    expect(areaOf([100, 100, 146, 146])).toBeCloseTo(2116 / 2073600, 9);
    expect(areaOf([100, 100, 140, 140])).toBeUndefined();
    expect(areaOf([0, 0, 1920, 1080])).toBeUndefined();
    // Real frame sizes (changed): a 4K camera's box is a fraction of 4K, a VGA camera's of VGA.
    expect(areaOf([384, 216, 768, 432], { cameras: { c: { width: 3840, height: 2160 } } })).toBeCloseTo(0.01, 9);
    expect(areaOf([100, 100, 164, 148], { cameras: { c: { width: 640, height: 480 } } })).toBeCloseTo(0.01, 9);
  });

  it('42: any coordinate above 1 means pixels; boxes outside the frame are refused (changed)', () => {
    expect(areaOf([0, 0, 2, 2])).toBeUndefined();
    expect(areaOf([0.1, 0.2, 300, 400])).toBeCloseTo((299.9 * 399.8) / 2073600, 9);
    const s = new Scenario(T1).send('fire/detection', legacy([1800, 1000, 2200, 1400]));
    expect(s.rejected().box_outside_frame).toBe(1);
  });

  it('43: a growing pixel series over two cameras triggers', () => {
    const s = new Scenario();
    for (let i = 0; i < 6; i++) {
      const z = 100 * 1.3 ** i;
      for (const cam of ['north_cam', 'south_cam']) s.send('fire/detection', { camera_id: cam, confidence: 0.85, object_id: 'o', bbox: [100, 200, 100 + z, 200 + z] });
      s.wait(1);
    }
    expect(s.triggerMsgs()).toEqual([12]);
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['north_cam', 'south_cam']);
  });

  it('44: garbage payloads are counted and change nothing', () => {
    const s = new Scenario(T1);
    for (const g of ['invalid json {', '[1,2,3]', '42', 'null', Buffer.from([0xff, 0xfe]), '{}', { camera_id: 'cam1' }, { camera_id: 'cam1', confidence: 'not_a_number' }]) s.send('fire/detection', g);
    expect(s.service.snapshot().cameras).toHaveLength(0);
    s.G('cam1');
    expect(s.triggerMsgs()).toEqual([14]);
    expect(s.rejected()).toMatchObject({ non_json: 2, not_object: 3, missing_camera: 1, bad_score: 2 });
  });
});

describe('F. Frigate events', () => {
  const ev = (after: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'update',
    after: { id: 'fire_obj_1', camera: 'south_cam', label: 'fire', top_score: 0.82, box: [100, 150, 200, 250], ...after },
    ...extra,
  });

  it('46: an update event registers the camera and a track; no trigger', () => {
    const s = new Scenario().send('frigate/events', ev({}));
    expect(frameOf(s, 'south_cam')).toMatchObject({ tracks: 1 });
    expect(s.triggers).toHaveLength(0);
  });

  it.each([['smoke', true], ['person', false], ['Fire', false], [undefined, false]])('47: label %j counts: %s', (label, counts) => {
    const s = new Scenario().send('frigate/events', ev({ label }));
    expect(frameOf(s, 'south_cam') !== undefined).toBe(counts);
  });

  it('48: only top_score counts, inclusive at minConfidence', () => {
    expect(frameOf(new Scenario().send('frigate/events', ev({ top_score: 0.69 })), 'south_cam')).toBeUndefined();
    expect(frameOf(new Scenario().send('frigate/events', ev({ top_score: 0.7 })), 'south_cam')).toBeDefined();
    expect(frameOf(new Scenario().send('frigate/events', ev({ top_score: undefined, score: 0.9 })), 'south_cam')).toBeUndefined();
  });

  it('49: box handling (box-less and wrong-length events refused: changed); boxes use the Frigate resolution', () => {
    const s = new Scenario(T1);
    for (let i = 0; i < 10; i++) s.send('frigate/events', ev({ box: undefined })).wait(1);
    s.send('frigate/events', ev({ box: [1, 2, 3] })).send('frigate/events', ev({ box: null })).send('frigate/events', ev({ box: [100, 100, 120, 120] }));
    expect(s.triggers).toHaveLength(0);
    expect(s.rejected()).toMatchObject({ missing_box: 11, bad_box: 1, area_out_of_range: 1 });
    // 1280x720 by default; [100,100,140,140] is 0.0017 of it (0.00077 of 1920x1080 in the reference).
    expect(frameOf(new Scenario().send('frigate/events', ev({ box: [100, 100, 140, 140] })), 'south_cam')).toBeDefined();
    expect(frameOf(new Scenario().send('frigate/events', ev({ box: [0.1, 0.1, 0.2, 0.2] })), 'south_cam')).toBeDefined();
    const custom = new Scenario({ frigateResolution: { width: 1920, height: 1080 } }).send('frigate/events', ev({ box: [100, 100, 140, 140] }));
    expect(frameOf(custom, 'south_cam')).toBeUndefined();
  });

  it('50/51 (changed): false positives are ignored, a missing camera is refused, a missing id uses IoU', () => {
    const s = new Scenario().send('frigate/events', ev({ false_positive: true })).send('frigate/events', ev({ camera: undefined })).send('frigate/events', { type: 'new' }).send('frigate/events', { type: 'new', after: null });
    expect(s.service.snapshot().cameras).toHaveLength(0);
    expect(s.rejected()).toMatchObject({ false_positive: 1, missing_camera: 1, bad_payload: 2 });
    const noId = new Scenario(T1);
    for (let i = 0; i < 6; i++) noId.send('frigate/events', ev({ id: undefined, box: [100, 100, 200 + 10 * i, 200 + 10 * i] })).wait(1);
    expect(noId.triggers[0].payload.fire_locations).toEqual([['south_cam', '0']]);
  });

  it('50 (changed): type end closes the track', () => {
    // The reference's W = 3 for Frigate tracks, so 5 updates alone cannot complete the rule.
    const s = new Scenario({ ...T1, frigate: { movingAverageWindow: 3 } });
    for (let i = 0; i < 5; i++) s.send('frigate/events', ev({ box: [100, 100, 200 + 10 * i, 200 + 10 * i] })).wait(1);
    expect(frameOf(s, 'south_cam')?.tracks).toBe(1);
    s.send('frigate/events', ev({}, { type: 'end' }));
    expect(frameOf(s, 'south_cam')?.tracks).toBe(0);
    s.send('frigate/events', ev({ box: [100, 100, 260, 260] })).wait(2);
    expect(s.triggers).toHaveLength(0);
  });

  it('52: Frigate and direct detections vote together', () => {
    const s = new Scenario();
    for (let z = 100; z <= 150; z += 10) s.send('frigate/events', ev({ id: 'f1', camera: 'fcam', box: [100, 100, 100 + z, 100 + z] })).wait(1);
    expect(s.triggers).toHaveLength(0);
    s.G('dcam');
    expect(s.triggerMsgs()).toEqual([12]);
    expect(s.triggers[0].payload.fire_locations).toEqual([['fcam', 'f1'], ['dcam', '0']]);
  });
});

describe('G. camera status and timeouts', () => {
  it('53: a status message lists the camera; offline status stops it voting (changed); garbage is refused', () => {
    const s = new Scenario().send('camera/monitor_cam/status', { status: 'online' });
    expect(frameOf(s, 'monitor_cam')).toMatchObject({ status: 'online', tracks: 0 });
    expect(s.link.on('fire/trigger')).toHaveLength(0);
    s.send('camera/bad/status', 'not json').send('camera/bad/status', { status: 'sleepy' });
    expect(s.rejected()).toMatchObject({ non_json: 1, bad_payload: 1 });
    const off = new Scenario().G('A').send('camera/B/status', { status: 'offline' }).G('B').wait(2);
    expect(off.triggers).toHaveLength(0);
    off.send('camera/B/status', { status: 'online' }).wait(1);
    expect(off.triggers).toHaveLength(1);
  });

  it('54: a camera silent past cameraTimeoutSeconds stops voting until it is heard again', () => {
    const cfg = { cameraTimeoutSeconds: 10, windowSeconds: 120 };
    const s = new Scenario(cfg).at(40).G('A').at(61).G('B').wait(2);
    expect(s.triggers).toHaveLength(0);
    s.at(70).det('A', 0.16);
    expect(s.triggers).toHaveLength(1);
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['A', 'B']);
    const v = new Scenario(cfg).at(40).G('A').at(60.5).send('camera/A/status', { status: 'online' }).at(61).G('B');
    expect(v.triggerMsgs()).toEqual([13]);
  });

  it('56: a status timestamp does not decide voting; only status, node and silence do', () => {
    const s = new Scenario();
    s.send('camera/cam1/status', { status: 'online' }).send('camera/cam2/status', { status: 'online' });
    s.send('camera/cam3/status', { status: 'online', ts: WALL0S - 3600 });
    s.G('cam3').G('cam1').G('cam2');
    expect(s.triggers[0].payload.consensus_cameras).toEqual(['cam1', 'cam3']);
  });

  it('64: topics we do not subscribe to have no effect', () => {
    const s = new Scenario(T1);
    for (const topic of ['frigate/single_cam/fire', 'fire/detection/cam1/extra', 'system/telemetry']) s.dets('cam1', G_SIDES, {}, 1, topic);
    expect(s.service.snapshot().cameras).toHaveLength(0);
    expect(s.triggers).toHaveLength(0);
  });

  it('55: a long-silent camera stays listed but does not vote', () => {
    const s = new Scenario().G('A').at(500);
    expect(frameOf(s, 'A')).toMatchObject({ voting: false });
    expect(s.service.metrics().cameras_online).toBe(0);
  });
});

describe('I. zones', () => {
  it('59: zones of the voting cameras are merged', () => {
    const s = new Scenario({ cameras: { cam1: { zones: ['zone_a'] }, cam2: { zones: ['zone_b', 'zone_a'] } } }).G('cam1').G('cam2');
    expect([...(s.triggers[0].payload.zones ?? [])].sort()).toEqual(['zone_a', 'zone_b']);
  });

  it('60: zones mapped elsewhere give []; no zones configured, no zones key', () => {
    const s = new Scenario({ cameras: { cam1: { zones: ['zone_a'] }, cam2: {}, cam3: {} } }).G('cam2').G('cam3');
    expect(s.triggers[0].payload.zones).toEqual([]);
    expect('zones' in new Scenario().G('a').G('b').triggers[0].payload).toBe(false);
  });
});
