import { afterEach, describe, expect, it } from 'vitest';
import { createAppBus } from '../../src/bus/index.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import {
  createSystemStats,
  createTelemetry,
  telemetryConfigSchema,
  type ClockSyncProbe,
  type ClockSyncState,
  type HealthPayload,
  type HealthSources,
  type SystemStats,
  type Telemetry,
  type TelemetryReading,
} from '../../src/telemetry/index.js';
import { healthPayloadSchema, telemetryPayloadSchema } from '../../src/topics/payloads.js';
import { FakeLink } from '../helpers/fake-link.js';

const flush = () => new Promise((r) => setImmediate(r));

const reading = (n: number): TelemetryReading => ({
  cpu_percent: n,
  load1: 0.5,
  mem_used_mb: 300,
  mem_total_mb: 4000,
  rss_mb: 80,
  disk_free_mb: 1000,
  disk_total_mb: 30000,
  cpu_temp_c: 51.2,
  uptime_s: 10,
  os_uptime_s: 99,
  throttled: null,
});

function fakeSync(initial: ClockSyncState): ClockSyncProbe & { next: ClockSyncState } {
  let cur: ClockSyncState = 'unknown';
  const p = {
    next: initial,
    refresh: async () => (cur = p.next),
    state: () => cur,
    clockSynced: () => cur !== 'unsynced',
  };
  return p;
}

let tel: Telemetry | undefined;
afterEach(() => tel?.stop());

function setup(opts: { sources?: HealthSources; sync?: ClockSyncState; config?: object; stats?: SystemStats } = {}) {
  const clock = new VirtualClock();
  const link = new FakeLink('pi-north');
  const bus = createAppBus();
  const log = memoryLogger('info');
  let n = 0;
  const stats: SystemStats = opts.stats ?? { read: async () => reading(++n) };
  const sync = fakeSync(opts.sync ?? 'synced');
  tel = createTelemetry({
    config: telemetryConfigSchema.parse(opts.config ?? {}),
    nodeId: 'pi-north',
    version: '1.2.3',
    roles: ['camera', 'pump'],
    logger: log,
    clock,
    link,
    bus,
    sources: opts.sources ?? {},
    stats,
    clockSync: sync,
  });
  const health = () => link.lastValues.get('system/pi-north/health') as HealthPayload | undefined;
  const telemetry = () => link.published.filter((p) => p.topic === 'system/pi-north/telemetry');
  return { clock, link, bus, log, sync, tel, health, telemetry };
}

describe('telemetry', () => {
  it('health tells who is alive (issue 17): every camera consensus knows, whether it votes, and triggers awaiting a pump', async () => {
    const t = setup({
      sources: {
        consensus: () => ({
          state: 'watching',
          cameras: [
            { id: 'north', node: 'cam-n', status: 'online', voting: true, seesFire: true, silentMs: 800 },
            { id: 'east', node: 'cam-e', status: 'online', effectiveStatus: 'offline', nodeOnline: false, voting: false, seesFire: false, silentMs: 95_000 },
          ],
          triggerAcks: { pending: [{ id: 't1', ageS: 1, resends: 0 }], unacknowledged: null, resendSeconds: 10 },
        }),
      },
    });
    await t.tel.start();
    expect(t.health()?.consensus).toEqual({
      state: 'watching',
      cameras: [
        { id: 'north', node: 'cam-n', status: 'online', node_online: null, voting: true, sees_fire: true, silent_s: 0.8 },
        // Its node died: the retained camera status still says online, health does not.
        { id: 'east', node: 'cam-e', status: 'offline', node_online: false, voting: false, sees_fire: false, silent_s: 95 },
      ],
      triggers_pending_ack: 1,
      trigger_unacknowledged: null,
    });
  });

  it('re-publishes health within a second when a camera starts or stops voting, although the verdict is the same', async () => {
    let voting = true;
    const t = setup({ sources: { consensus: () => ({ state: 'watching', cameras: [{ id: 'east', node: 'cam-e', status: 'online', voting, seesFire: false, silentMs: 0 }] }) } });
    await t.tel.start();
    const before = t.health()?.consensus?.cameras?.[0].voting;
    expect(before).toBe(true);
    voting = false;
    t.bus.emit('consensus.cameras', { camera: 'east', node: null, reason: 'not voting: timeout' });
    t.clock.advance(1500);
    await new Promise((r) => setImmediate(r));
    // The health interval is 30 s: only the voting change can have re-published it.
    expect(t.health()?.consensus?.cameras?.[0].voting).toBe(false);
  });

  it('what it publishes on system/<node>/health parses with the topic schema (healthPayloadSchema, strict), every block filled or empty', async () => {
    const empty = setup();
    await empty.tel.start();
    const e = healthPayloadSchema.safeParse(empty.health());
    expect(e.success, JSON.stringify(e.error?.issues)).toBe(true);
    empty.tel.stop();
    const t = setup({
      sources: {
        mqtt: () => ({ state: 'RECONNECTING', outboxDepth: 900, outboxMax: 1000, outboxBytes: 10, outboxMaxBytes: 100, outboxWriteError: null }),
        cameras: () => [{ id: 'north', status: 'error', fps: 0, error: 'ffmpeg exited' }],
        detector: () => ({ state: 'failed', error: 'gave up after 5 restarts' }),
        consensus: () => ({
          state: 'cooldown',
          cameras: [{ id: 'north', node: null, status: 'online', effectiveStatus: 'offline', nodeOnline: false, voting: false, seesFire: false, silentMs: null }],
          triggerAcks: { pending: [{ id: 't2', ageS: 30, resends: 2 }], unacknowledged: { id: 't1', ts: 1, resends: 11 }, resendSeconds: 10 },
        }),
        pump: () => ({ state: 'ERROR', error: 'dry_run', armed: true, stateLost: true, stateWriteError: 'EIO' }),
        listeners: () => [{ name: 'http', ok: false, reason: 'EADDRINUSE' }],
      },
    });
    await t.tel.start();
    const h = t.health();
    const r = healthPayloadSchema.safeParse(h);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    expect(r.data).toMatchObject({ status: 'failed', detector: { state: 'failed', error: 'gave up after 5 restarts' }, pump: { state: 'ERROR', armed: true }, consensus: { triggers_pending_ack: 1, trigger_unacknowledged: 't1' } });
    // The schema is strict and typed: a payload with a renamed field does not parse.
    const { uptime_s: up, ...renamed } = h as Record<string, unknown>;
    expect(healthPayloadSchema.safeParse({ ...renamed, uptimeS: up }).success).toBe(false);
  });

  it('what it publishes on system/<node>/telemetry from the real stats reader parses with telemetryPayloadSchema (strict)', async () => {
    const t = setup({ stats: createSystemStats({ thermalPath: null, throttledPath: null, vcgencmd: null }) });
    await t.tel.start();
    await flush();
    for (let i = 0; i < 50 && t.telemetry().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.telemetry()).toHaveLength(1);
    const r = telemetryPayloadSchema.safeParse(t.telemetry()[0].payload);
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
    expect(r.data).toMatchObject({ v: 1, node_id: 'pi-north', cpu_temp_c: null, throttled: null });
    expect(telemetryPayloadSchema.safeParse({ ...(t.telemetry()[0].payload as object), load: 1 }).success).toBe(false);
  });

  it('defaults intervals to 60 s / 30 s', () => {
    expect(telemetryConfigSchema.parse(undefined)).toEqual({ intervalSeconds: 60, healthIntervalSeconds: 30, maxClockSkewSeconds: 30, diskMinFreeMb: 20 });
  });

  it('publishes retained health at start and every healthIntervalSeconds, telemetry at qos 0 every intervalSeconds', async () => {
    const t = setup();
    await t.tel.start();
    await flush();
    const h = t.health()!;
    expect(h).toMatchObject({ v: 1, node_id: 'pi-north', status: 'ok', version: '1.2.3', roles: ['camera', 'pump'], clock_synced: true, problems: [] });
    expect(typeof h.id).toBe('string');
    expect(h.mqtt).toEqual({ state: 'CONNECTED', outbox_depth: null, outbox_max: null });
    expect(t.telemetry()).toHaveLength(1);
    expect(t.telemetry()[0].opts).toEqual({ qos: 0 });
    expect(t.telemetry()[0].payload).toMatchObject({ v: 1, node_id: 'pi-north', cpu_percent: 1, cpu_temp_c: 51.2, throttled: null });

    const firstId = h.id;
    t.clock.advance(30_000);
    await flush();
    expect(t.health()!.id).not.toBe(firstId);
    expect(t.health()!.uptime_s).toBe(30);
    expect(t.telemetry()).toHaveLength(1);
    t.clock.advance(30_000);
    await flush();
    expect(t.telemetry()).toHaveLength(2);
    expect((t.telemetry()[1].payload as TelemetryReading).cpu_percent).toBe(2);
    for (let i = 0; i < 2; i++) {
      t.clock.advance(60_000);
      await flush();
    }
    expect(t.telemetry()).toHaveLength(4);
  });

  it('degrades from bus events: camera offline, pump ERROR; recovers to ok', async () => {
    const t = setup();
    await t.tel.start();
    t.bus.emit('camera.status', { camera: 'north', status: { status: 'offline', error: 'no frames for 10 s' } });
    const pumpState = {
      v: 1 as const, id: 'x', node_id: 'pi-north', ts: 1, state: 'ERROR' as const, armed: true,
      outputs: { mainValve: false, ignitionStart: false, ignitionOn: false, ignitionOff: false, refillValve: false, primingValve: false, rpmReduce: false },
      inputs: { reservoirFloat: null, linePressure: null, flowSensor: null, emergencyButton: null, engineRunning: null },
      run: null, lockoutRemainingS: 0, holdRemainingS: 0, lastTriggerId: null, error: 'dry_run' as string | null, driver: 'mock',
    };
    t.bus.emit('pump.state', pumpState);
    t.clock.advance(30_000);
    await flush();
    const h = t.health()!;
    expect(h.status).toBe('degraded');
    expect(h.problems.map((p) => p.code)).toEqual(['camera_down', 'pump_error']);
    expect(h.cameras).toEqual([{ id: 'north', status: 'offline', fps: null, error: 'no frames for 10 s' }]);
    expect(h.pump).toEqual({ state: 'ERROR', error: 'dry_run', armed: true });
    expect(t.log.lines.some((l) => l.msg === 'health degraded')).toBe(true);

    t.bus.emit('camera.status', { camera: 'north', status: { status: 'online', fps: 2 } });
    t.bus.emit('pump.state', { ...pumpState, state: 'IDLE', error: null });
    t.clock.advance(30_000);
    await flush();
    expect(t.health()!.status).toBe('ok');
    expect(t.log.lines.some((l) => l.msg === 'health ok')).toBe(true);
  });

  it('uses part sources when given (outbox filling, broker state) and survives a throwing source', async () => {
    let depth = 100;
    const t = setup({
      sources: {
        mqtt: () => ({ state: 'RECONNECTING', outboxDepth: depth, outboxMax: 1000 }),
        pump: () => {
          throw new Error('boom');
        },
      },
    });
    await t.tel.start();
    expect(t.health()!.problems.map((p) => p.code)).toEqual(['mqtt_unreachable', 'status_unavailable']);
    depth = 900;
    const now = t.tel.health();
    expect(now.problems.map((p) => p.code)).toContain('outbox_filling');
    expect(now.mqtt).toEqual({ state: 'RECONNECTING', outbox_depth: 900, outbox_max: 1000 });
    expect(t.tel.metrics().source_errors).toBeGreaterThanOrEqual(2);
  });

  it('reports an unsynchronised clock: degraded, clock_synced false, logged at most once a minute', async () => {
    const t = setup({ sync: 'unsynced' });
    await t.tel.start();
    expect(t.tel.clockSynced()).toBe(false);
    expect(t.health()).toMatchObject({ status: 'degraded', clock_synced: false, clock_sync: 'unsynced' });
    t.clock.advance(30_000);
    await flush();
    const warns = () => t.log.lines.filter((l) => String(l.msg).startsWith('system clock not synchronised')).length;
    expect(warns()).toBe(1);
    t.clock.advance(30_000);
    await flush();
    expect(warns()).toBe(2);
    t.sync.next = 'synced';
    t.clock.advance(30_000);
    await flush();
    expect(t.tel.clockSynced()).toBe(true);
    expect(t.health()!.status).toBe('ok');
  });

  it('shows a listener that failed to bind', async () => {
    const t = setup();
    t.tel.reportListener('http', { ok: false, reason: 'EADDRINUSE 127.0.0.1:8080' });
    await t.tel.start();
    expect(t.health()!.problems).toEqual([
      { code: 'listener_failed', subject: 'http', severity: 'degraded', message: 'http listener not running: EADDRINUSE 127.0.0.1:8080' },
    ]);
  });

  it('stops publishing after stop()', async () => {
    const t = setup();
    await t.tel.start();
    await flush();
    t.tel.stop();
    const before = t.telemetry().length;
    t.clock.advance(600_000);
    await flush();
    expect(t.telemetry().length).toBe(before);
    expect(t.clock.pendingTimers()).toBe(0);
    expect(t.bus.listenerCount('camera.status')).toBe(0);
  });

  it('exposes metrics including the last reading', async () => {
    const t = setup();
    await t.tel.start();
    await flush();
    expect(t.tel.metrics()).toMatchObject({ health_published: 1, telemetry_published: 1, health_status: 0, clock_synced: 1, cpu_temp_c: 51.2 });
  });

  it('publishes a changed verdict within a second of the bus event, and only when it changed', async () => {
    const t = setup();
    await t.tel.start();
    await flush();
    const published = () => t.tel.metrics().health_published;
    expect(published()).toBe(1);
    t.bus.emit('camera.status', { camera: 'north', status: { status: 'online', fps: 2 } });
    t.clock.advance(1000);
    expect(published()).toBe(1); // still ok: nothing new to say
    t.bus.emit('camera.status', { camera: 'north', status: { status: 'offline' } });
    t.bus.emit('mqtt.connection', { from: 'CONNECTED', to: 'RECONNECTING', reason: 'x' }); // FakeLink still says CONNECTED
    t.clock.advance(999);
    expect(published()).toBe(1);
    t.clock.advance(1);
    expect(published()).toBe(2);
    expect(t.health()!.problems.map((p) => p.code)).toEqual(['camera_down']);
    expect(t.clock.now()).toBeLessThan(30_000);
  });

  it('reports Pi under-voltage from the last system reading in health', async () => {
    const t = setup({ stats: { read: async () => ({ ...reading(1), throttled: { raw: '0x50005', now: ['under_voltage', 'throttled'], since_boot: ['under_voltage', 'throttled'] } }) } });
    await t.tel.start();
    await flush();
    expect(t.tel.health().problems.map((p) => p.code)).toEqual(['under_voltage', 'cpu_throttled']);
  });
});

// Issue 12 item 7e: a node whose clock was far off refused every remote trigger as expired while
// health said ok. Peers' envelope timestamps now measure the offset; beyond the bound health says
// `clock_skew` with the measured offset.
describe('clock skew against peers', () => {
  const peerMsg = (t: ReturnType<typeof setup>, node: string, offsetS: number, topic = 'telemetry', retained = false) =>
    t.link.inject(`system/${node}/${topic}`, { v: 1, id: `${node}-${Math.random()}`, node_id: node, ts: t.clock.wallNow() / 1000 - offsetS, cpu_percent: 1 }, { retained, receivedAt: t.clock.wallNow() });

  it('a local clock 10 minutes ahead of its peers degrades health with clock_skew and the offset; back in bounds it clears', async () => {
    const t = setup({ config: { maxClockSkewSeconds: 30 } });
    await t.tel.start();
    await flush();
    expect(t.health()!.status).toBe('ok');
    // Two peers, their messages delayed a little in transit; the local clock is 600 s ahead.
    peerMsg(t, 'pi-south', 600 + 0.8);
    peerMsg(t, 'pi-south', 600 + 0.2);
    peerMsg(t, 'pi-east', 600 + 0.4, 'health');
    t.clock.advance(1000); // published within a second of the change
    await flush();
    const h = t.health()!;
    expect(h.status).toBe('degraded');
    const p = h.problems.find((x) => x.code === 'clock_skew');
    expect(p?.message).toMatch(/system clock is 600 s ahead of its peers \(2 heard; allowed 30 s\).*refused as expired/);
    expect(t.tel.metrics().clock_skew_seconds).toBeCloseTo(600.3, 5); // median of per-peer minima (600.2, 600.4)
    expect(t.log.lines.some((l) => l.msg === 'health degraded')).toBe(true);
    // The window forgets the old samples; fresh ones within bounds clear the problem.
    t.clock.advance(11 * 60_000);
    peerMsg(t, 'pi-south', 0.3);
    peerMsg(t, 'pi-east', 0.1);
    t.clock.advance(30_000);
    await flush();
    expect(t.health()!.problems.map((x) => x.code)).not.toContain('clock_skew');
    expect(t.health()!.status).toBe('ok');
  });

  it('behind the peers is reported too; retained copies, our own messages, junk and a single wrong peer do not count', async () => {
    const t = setup();
    await t.tel.start();
    peerMsg(t, 'pi-old', 3600, 'health', true); // retained: an hour old by nature
    peerMsg(t, 'pi-north', -900); // our own
    t.link.inject('system/pi-x/telemetry', 'not json');
    t.link.inject('system/pi-x/telemetry', { ts: 'soon' });
    t.clock.advance(30_000);
    await flush();
    expect(t.health()!.status).toBe('ok');
    expect(t.tel.metrics().clock_skew_seconds).toBeUndefined();
    // One peer with a broken clock among three good ones: the median stays near 0.
    peerMsg(t, 'pi-a', 0.1);
    peerMsg(t, 'pi-b', 0.2);
    peerMsg(t, 'pi-c', 0.3);
    peerMsg(t, 'pi-broken', 5000);
    t.clock.advance(30_000);
    await flush();
    expect(t.health()!.status).toBe('ok');
    // Now this node is 2 minutes behind everyone.
    for (const n of ['pi-a', 'pi-b', 'pi-c', 'pi-broken']) peerMsg(t, n, -120);
    t.clock.advance(11 * 60_000);
    for (const n of ['pi-a', 'pi-b', 'pi-c']) peerMsg(t, n, -120);
    t.clock.advance(1000);
    await flush();
    expect(t.health()!.problems.find((x) => x.code === 'clock_skew')?.message).toMatch(/120 s behind its peers \(3 heard/);
  });
});
