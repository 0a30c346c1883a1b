import { describe, expect, it } from 'vitest';
import { createClassifier, redactWebhookUrl, retryDelayMs } from '../../src/notify/index.js';
import { seededRandom } from '../../src/core/random.js';
import { TRIGGER_REFUSALS } from '../../src/topics/refusals.js';

const kinds = (xs: Array<{ kind: string } | null>) => xs.map((x) => x?.kind ?? null);

describe('classifier', () => {
  it('notifies a decided fire only, not every consensus state change', () => {
    const c = createClassifier('n1');
    const base = { state: 'watching' as const, cameras_seeing_fire: ['a'], threshold: 2, last_trigger: null };
    expect(c.consensus(base)).toBeNull();
    const n = c.consensus({ ...base, state: 'triggered', decided: { action: 'trigger', id: 't9' } });
    expect(n).toMatchObject({ event: 'fire', kind: 'fire_decided', detail: { trigger_id: 't9', cameras: ['a'] } });
  });

  it('maps pump transitions to started / running / stopped / error', () => {
    const c = createClassifier('n1');
    const t = (from: string, to: string, reason: string | null = null) => c.pumpEvent({ event: 'transition', from, to, reason });
    expect(kinds([t('IDLE', 'PRIMING'), t('PRIMING', 'STARTING'), t('STARTING', 'RUNNING'), t('RUNNING', 'REDUCING_RPM'), t('REDUCING_RPM', 'STOPPING'), t('STOPPING', 'REFILLING'), t('REFILLING', 'COOLDOWN'), t('COOLDOWN', 'IDLE')])).toEqual(
      ['pump_started', null, 'pump_running', null, null, 'pump_stopped', null, null],
    );
    expect(t('STOPPING', 'ERROR', 'dry_run')).toMatchObject({ event: 'error', kind: 'pump_error', detail: { reason: 'dry_run' } });
    expect(t('STOPPING', 'COOLDOWN')?.kind).toBe('pump_stopped');
    expect(c.pumpEvent({ event: 'phase', from: 'STARTING', to: 'STARTING', reason: 'crank' })).toBeNull();
  });

  it('notifies blocked triggers (lockout, hold, disarm, ERROR) but not routine de-duplication', () => {
    const c = createClassifier('n1');
    const r = (reason: string) => c.pumpEvent({ event: 'trigger_refused', from: 'IDLE', to: null, reason });
    for (const reason of ['trigger_blocked_refilling', 'operator_hold', 'disarmed', 'error_latched', 'limit_stop']) {
      expect(r(reason)).toMatchObject({ event: 'blocked', kind: 'trigger_blocked' });
    }
    for (const reason of ['duplicate', 'retained', 'expired', 'malformed', 'outside_zones']) expect(r(reason)).toBeNull();
    expect(c.pumpEvent({ event: 'command_refused', from: 'IDLE', to: null, reason: 'x' })).toBeNull();
  });

  it('routine or not comes from the refusal catalogue (issue 15 item 4): every code, and an unknown code pages', () => {
    const c = createClassifier('n1');
    const r = (reason: string | null) => c.pumpEvent({ event: 'trigger_refused', from: 'IDLE', to: null, reason });
    for (const [code, info] of Object.entries(TRIGGER_REFUSALS)) {
      const n = r(code);
      if (info.routine) expect(n, code).toBeNull();
      else expect(n, code).toMatchObject({ event: 'blocked', kind: 'trigger_blocked', detail: { reason: code, explanation: info.text } });
    }
    // The regex this replaced paged on anything it did not recognise too, but it also swallowed
    // any reason that merely contained "dup", "zone", "stale", ...: a real block named so was lost.
    expect(r('zone_pump_unavailable')).toMatchObject({ kind: 'trigger_blocked' });
    expect(r('stale_lockout')).toMatchObject({ kind: 'trigger_blocked' });
    expect(r(null)).toMatchObject({ kind: 'trigger_blocked', detail: { explanation: 'no reason given' } });
  });

  it('notifies a camera going offline once, and its recovery', () => {
    const c = createClassifier('n1');
    const s = (status: 'online' | 'offline' | 'error') => c.cameraStatus({ camera: 'north', status: { status } });
    expect(kinds([s('online'), s('offline'), s('offline'), s('error'), s('online'), s('online'), s('error')])).toEqual([
      null, 'camera_offline', null, null, 'camera_online', null, 'camera_offline',
    ]);
  });

  it('notifies MQTT FAILED once and the recovery', () => {
    const c = createClassifier('n1');
    const m = (from: string, to: string) => c.mqtt({ from: from as never, to: to as never, reason: 'r' });
    expect(kinds([m('CONNECTED', 'RECONNECTING'), m('RECONNECTING', 'FAILED'), m('FAILED', 'FAILED'), m('FAILED', 'CONNECTED'), m('CONNECTED', 'RECONNECTING')])).toEqual([
      null, 'mqtt_failed', null, 'mqtt_recovered', null,
    ]);
  });
});

describe('helpers', () => {
  it('redacts webhook secrets in path, query and credentials', () => {
    expect(redactWebhookUrl('https://hooks.slack.com/services/T0/B0/XYZ')).toBe('https://hooks.slack.com/***');
    expect(redactWebhookUrl('https://u:p@ntfy.sh:8443/topic?auth=abc')).toBe('https://ntfy.sh:8443/***');
    expect(redactWebhookUrl('http://10.0.0.2/')).toBe('http://10.0.0.2/');
  });

  it('backs off exponentially with jitter in [1/2, 1] of the capped step', () => {
    const rnd = seededRandom(7);
    for (let a = 1; a <= 8; a++) {
      const step = Math.min(60_000, 2000 * 2 ** (a - 1));
      const d = retryDelayMs(a, 2000, 60_000, rnd);
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
    }
  });
});

describe('disk faults are notified once, and their end (issue 12 item 5)', () => {
  it('announces new disk problem codes and the recovery, ignoring other problems', () => {
    const c = createClassifier('pi-pump');
    const p = (code: string) => ({ code, message: `${code} message` });
    expect(c.health({ status: 'degraded', problems: [p('camera_down')] })).toBeNull();
    const first = c.health({ status: 'degraded', problems: [p('disk_full'), p('state_write_failed')] });
    expect(first).toMatchObject({ event: 'error', kind: 'disk_fault', detail: { codes: ['disk_full', 'state_write_failed'] } });
    expect(first?.title).toMatch(/^Disk fault on pi-pump: disk_full message; state_write_failed message/);
    expect(c.health({ status: 'degraded', problems: [p('disk_full'), p('state_write_failed')] })).toBeNull();
    expect(c.health({ status: 'degraded', problems: [p('disk_full'), p('state_write_failed'), p('outbox_write_failed')] })?.title).toMatch(/outbox_write_failed message$/);
    expect(c.health({ status: 'ok', problems: [] })).toMatchObject({ kind: 'disk_recovered' });
    expect(c.health({ status: 'ok', problems: [] })).toBeNull();
  });
});
