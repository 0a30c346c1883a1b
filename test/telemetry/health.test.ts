import { describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthInput } from '../../src/telemetry/index.js';

const base = (): HealthInput => ({
  mqtt: { state: 'CONNECTED', outboxDepth: 0, outboxMax: 10_000 },
  cameras: [{ id: 'north', status: 'online', fps: 2 }],
  detector: { state: 'running' },
  consensus: { state: 'idle' },
  pump: { state: 'IDLE', error: null },
  listeners: [{ name: 'http', ok: true }],
  clockSync: 'synced',
  sourceErrors: [],
});

const codes = (i: HealthInput) => evaluateHealth(i).problems.map((p) => `${p.code}${p.subject ? ':' + p.subject : ''}`);

describe('evaluateHealth', () => {
  it('fails with pump_state_lost while the pump state file is lost (issue 12), ok once cleared', () => {
    const i = base();
    i.pump = { state: 'REFILLING', error: null, stateLost: true };
    expect(evaluateHealth(i).status).toBe('failed');
    expect(codes(i)).toEqual(['pump_state_lost']);
    i.pump = { state: 'REFILLING', error: null, stateLost: false };
    expect(evaluateHealth(i).status).toBe('ok');
  });

  it('says loudly when a trigger is not acknowledged by any pump (issue 17): degraded while re-sent, failed once expired', () => {
    const i = base();
    i.consensus = { state: 'cooldown', triggerAcks: { pending: [{ id: 't1', ageS: 4, resends: 0 }], unacknowledged: null, resendSeconds: 10 } };
    expect(evaluateHealth(i).status).toBe('ok'); // within the first re-send period: an ack is on its way
    i.consensus = { state: 'cooldown', triggerAcks: { pending: [{ id: 't1', ageS: 12, resends: 1 }], unacknowledged: null, resendSeconds: 10 } };
    expect(codes(i)).toEqual(['trigger_not_acknowledged_yet:t1']);
    expect(evaluateHealth(i).status).toBe('degraded');
    i.consensus = { state: 'cooldown', triggerAcks: { pending: [], unacknowledged: { id: 't1', ts: 1, resends: 11 }, resendSeconds: 10 } };
    const v = evaluateHealth(i);
    expect(v.status).toBe('failed');
    expect(codes(i)).toEqual(['trigger_unacknowledged:t1']);
    expect(v.problems[0].message).toMatch(/not acknowledged by any pump/);
  });

  it('is ok when every part is fine', () => {
    expect(evaluateHealth(base())).toEqual({ status: 'ok', problems: [] });
  });

  it('degrades when a camera is offline or in error, naming the camera', () => {
    const i = base();
    i.cameras = [
      { id: 'north', status: 'offline' },
      { id: 'south', status: 'error', error: 'ffmpeg exited' },
      { id: 'east', status: 'online' },
    ];
    const v = evaluateHealth(i);
    expect(v.status).toBe('degraded');
    expect(codes(i)).toEqual(['camera_down:north', 'camera_down:south']);
    expect(v.problems[1].message).toContain('ffmpeg exited');
  });

  it.each(['DISCONNECTED', 'CONNECTING', 'RECONNECTING'])('degrades with mqtt_unreachable in %s', (state) => {
    const i = base();
    i.mqtt = { state };
    expect(evaluateHealth(i).status).toBe('degraded');
    expect(codes(i)).toEqual(['mqtt_unreachable']);
  });

  it('degrades with mqtt_failed in FAILED', () => {
    const i = base();
    i.mqtt = { state: 'FAILED' };
    expect(codes(i)).toEqual(['mqtt_failed']);
  });

  it('flags the outbox above 80 % by count or by bytes, not at 80 %', () => {
    const i = base();
    i.mqtt = { state: 'CONNECTED', outboxDepth: 8000, outboxMax: 10_000 };
    expect(codes(i)).toEqual([]);
    i.mqtt = { state: 'CONNECTED', outboxDepth: 8001, outboxMax: 10_000 };
    expect(codes(i)).toEqual(['outbox_filling']);
    i.mqtt = { state: 'RECONNECTING', outboxDepth: 1, outboxMax: 10_000, outboxBytes: 15 * 2 ** 20, outboxMaxBytes: 16 * 2 ** 20 };
    expect(codes(i)).toEqual(['mqtt_unreachable', 'outbox_filling']);
  });

  it('degrades when the pump is in ERROR, with its reason', () => {
    const i = base();
    i.pump = { state: 'ERROR', error: 'dry_run' };
    const v = evaluateHealth(i);
    expect(v.status).toBe('degraded');
    expect(codes(i)).toEqual(['pump_error']);
    expect(v.problems[0].message).toContain('dry_run');
  });

  it('degrades when the clock is positively unsynchronised, not when unknown', () => {
    const i = base();
    i.clockSync = 'unsynced';
    expect(codes(i)).toEqual(['clock_not_synced']);
    i.clockSync = 'unknown';
    expect(codes(i)).toEqual([]);
  });

  it('degrades when an optional listener failed to bind or a source threw', () => {
    const i = base();
    i.listeners = [{ name: 'http', ok: false, reason: 'EADDRINUSE 127.0.0.1:8080' }];
    i.sourceErrors = ['pump'];
    expect(codes(i)).toEqual(['listener_failed:http', 'status_unavailable:pump']);
  });

  it('is failed when the detector reached its restart cap, even with other problems', () => {
    const i = base();
    i.detector = { state: 'failed', error: 'onnx session crashed 5 times' };
    i.cameras = [{ id: 'north', status: 'offline' }];
    const v = evaluateHealth(i);
    expect(v.status).toBe('failed');
    expect(codes(i)).toEqual(['camera_down:north', 'detector_failed']);
  });

  it('ignores parts that are not on this node', () => {
    expect(evaluateHealth({ mqtt: null, cameras: [], detector: null, consensus: null, pump: null, listeners: [], clockSync: 'synced', sourceErrors: [] }).status).toBe('ok');
  });

  it('degrades on Pi under-voltage or throttling happening now (not on past events)', () => {
    const i = base();
    i.throttledNow = ['under_voltage', 'throttled', 'arm_frequency_capped'];
    expect(codes(i)).toEqual(['under_voltage', 'cpu_throttled']);
    i.throttledNow = [];
    expect(codes(i)).toEqual([]);
  });
});

describe('disk faults (issue 12 item 5)', () => {
  const disk = (freeMb: number) => ({ path: '/var/lib/wildfire-edge', freeBytes: freeMb * 1048576, totalBytes: 1024 * 1048576, minFreeBytes: 20 * 1048576 });

  it('low free space on the state directory is disk_full, with the figures', () => {
    const i = base();
    i.disk = disk(3);
    const v = evaluateHealth(i);
    expect(v.status).toBe('degraded');
    expect(codes(i)).toEqual(['disk_full:/var/lib/wildfire-edge']);
    expect(v.problems[0].message).toMatch(/3\.0 MB free of 1024\.0 MB on \/var\/lib\/wildfire-edge/);
    i.disk = disk(21);
    expect(evaluateHealth(i).status).toBe('ok');
  });

  it('a failed pump state write is state_write_failed; ENOSPC is disk_full too', () => {
    const i = base();
    i.pump = { state: 'IDLE', error: null, stateWriteError: 'cannot write pump state /s/pump-state.json: ENOSPC: no space left on device, write' };
    expect(codes(i)).toEqual(['disk_full', 'state_write_failed']);
    i.pump.stateWriteError = 'cannot write pump state /s/pump-state.json: EIO: i/o error, fsync';
    expect(codes(i)).toEqual(['state_write_failed']);
    expect(evaluateHealth(i).status).toBe('degraded');
  });

  it('a failed outbox write is outbox_write_failed; cleared (null) means ok again', () => {
    const i = base();
    i.mqtt = { state: 'CONNECTED', outboxDepth: 0, outboxMax: 10, outboxWriteError: 'EROFS: read-only file system, write' };
    expect(codes(i)).toEqual(['outbox_write_failed']);
    i.mqtt.outboxWriteError = null;
    expect(evaluateHealth(i)).toEqual({ status: 'ok', problems: [] });
  });
});
