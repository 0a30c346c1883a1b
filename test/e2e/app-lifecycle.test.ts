import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp, STOP_ORDER, STOPPED_WHILE_STARTING } from '../../src/app/index.js';
import { parseConfigObject } from '../../src/config/index.js';
import { systemClock } from '../../src/core/clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { DEFAULT_PINS, MockGpioDriver } from '../../src/pump/index.js';
import { SHORT_PUMP_TIMINGS, waitFor } from './harness.js';

function config(extra: Record<string, unknown> = {}) {
  const r = parseConfigObject(
    {
      node: { id: 'wiring' },
      roles: ['consensus', 'pump'],
      stateDir: mkdtempSync(join(tmpdir(), 'wfe-wiring-')),
      mqtt: { embedded: { port: 0 }, closeGraceMs: 500 },
      consensus: { threshold: 1 },
      pump: { driver: 'mock', timings: SHORT_PUMP_TIMINGS },
      http: { port: 0 },
      ...extra,
    },
    'test',
    { env: {} },
  );
  if (!r.ok) throw new Error(r.reason);
  return r.value.config;
}

describe('app wiring (in process, embedded broker)', () => {
  it('starts broker+MQTT, notify, pump, consensus, telemetry, status page in order and stops pump first, broker last', async () => {
    const logger = memoryLogger('info');
    const gpio = new MockGpioDriver({ clock: systemClock });
    const app = createApp({ config: config(), logger, overrides: { pumpDriver: gpio } });
    const started = await app.start();
    expect(started).toEqual({ ok: true, value: undefined });
    expect(app.parts().map((p) => p.name)).toEqual(['mqtt', 'notify', 'pump', 'consensus', 'telemetry', 'http']);
    // The status page serves the part snapshots, pump pin levels included.
    const url = app.statusUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const status = (await (await fetch(`${url}api/status`)).json()) as { pump: { state: string; pins: Record<string, { pin: number; level: number }> }; mqtt: { state: string } };
    expect(status.pump.state).toBe('IDLE');
    expect(status.pump.pins.mainValve).toEqual({ pin: DEFAULT_PINS.mainValve, level: 0 });
    expect(await waitFor(() => (app.snapshot().mqtt as { state: string }).state === 'CONNECTED', 10_000)).toBe(true);
    // /metrics carries every wired part's counters (Prometheus text), /healthz the health verdict.
    const metrics = await (await fetch(`${url}metrics`)).text();
    for (const part of ['mqtt', 'pump', 'consensus', 'notify', 'telemetry', 'http']) expect(metrics, part).toMatch(new RegExp(`^wfe_${part}_\\w+`, 'm'));
    expect((await fetch(`${url}healthz`)).status).toBe(200);

    // A local trigger on the bus (as consensus would send) opens the valve: pins are live.
    const now = Date.now() / 1000;
    app.bus.emit('trigger', { action: 'trigger', v: 1, id: 'wiring-1', node_id: 'wiring', ts: now, timestamp: now, expires_at: now + 60 });
    expect(await waitFor(() => gpio.level(DEFAULT_PINS.mainValve) === 1, 5000)).toBe(true);

    await app.stop('test');
    // Outputs safe after stop, and the stop order of issue 7 in the log: pump safe, then MQTT closed.
    expect(Object.entries(gpio.levels()).filter(([, l]) => l === 1)).toEqual([]);
    // (memoryLogger's root namespace is `app`, so parts log as app.pump, app.mqtt.)
    const msgs = logger.lines.map((l) => `${l.ns}: ${l.msg}`);
    const pumpSafe = msgs.findIndex((m) => m.startsWith('app.pump: pump stopped'));
    const mqttClosed = msgs.findIndex((m) => m.startsWith('app.mqtt: mqtt core closed'));
    expect(pumpSafe).toBeGreaterThan(-1);
    expect(mqttClosed).toBeGreaterThan(pumpSafe);
    expect(STOP_ORDER.indexOf('pump')).toBe(0);
    expect(STOP_ORDER[STOP_ORDER.length - 1]).toBe('broker');
    // Idempotent.
    await app.stop('again');
  });

  it('a pump driver that cannot open refuses the node before anything else starts', async () => {
    const logger = memoryLogger('info');
    // rpio on a machine without /dev/gpiomem (this one) cannot open; the node must not run without its
    // pump, and the GPIO is opened first of all (Safety 1), so the broker and link never start.
    const app = createApp({ config: config({ pump: { driver: 'rpio', pins: { confirmed: true }, timings: { maxEngineRuntime: 1800 } } }), logger });
    const r = await app.start();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^pump: /);
    expect(logger.lines.some((l) => l.msg === 'part failed to prepare; stopping the node' && l.part === 'pump')).toBe(true);
    expect(logger.lines.some((l) => l.ns === 'app.mqtt' && l.msg === 'mqtt core starting')).toBe(false);
    await app.stop('test');
  });

  it('a status page port already taken is reported and the node keeps running', async () => {
    const logger = memoryLogger('info');
    const blocker = await import('node:net').then(({ createServer }) => new Promise<import('node:net').Server>((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => res(s)); }));
    const port = (blocker.address() as { port: number }).port;
    const app = createApp({ config: config({ http: { port } }), logger, overrides: { pumpDriver: new MockGpioDriver({ clock: systemClock }) } });
    const r = await app.start();
    expect(r.ok).toBe(true);
    expect(app.statusUrl()).toBeNull();
    const health = app.snapshot().telemetry as { status: string; problems: Array<{ code: string; message: string }> };
    expect(health.status).not.toBe('ok');
    expect(JSON.stringify(health.problems)).toMatch(/http|status page|listen/i);
    await app.stop('test');
    blocker.close();
  });
});

describe('process: wildfire-edge run under a signal', () => {
  it('SIGTERM stops the node in bounded time with exit 0, pump safe first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-sig-'));
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, `node: { id: sig }\nroles: [consensus, pump]\nstateDir: ${dir}/state\nmqtt: { embedded: { port: 0 } }\npump: { driver: mock }\nhttp: { port: 0 }\n`);
    // A stand-in `systemd-notify` on PATH records what the node tells systemd (Type=notify unit).
    const bin = join(dir, 'bin');
    const notes = join(dir, 'notify.log');
    mkdirSync(bin);
    writeFileSync(join(bin, 'systemd-notify'), `#!/bin/sh\necho "$*" >> ${notes}\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '400000', WATCHDOG_PID: '', MQTT_URL: '' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'run', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(await waitFor(() => out.includes('"node running"'), 40_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 600)); // a few watchdog intervals (WATCHDOG_USEC / 2 = 200 ms)
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { ns: string; msg: string });
    const idx = (ns: string, msg: string) => lines.findIndex((l) => l.ns === ns && l.msg.startsWith(msg));
    expect(idx('pump', 'pump stopped')).toBeGreaterThan(-1);
    expect(idx('mqtt', 'mqtt core closed')).toBeGreaterThan(idx('pump', 'pump stopped'));
    expect(idx('app', 'stopped')).toBeGreaterThan(idx('mqtt', 'mqtt core closed'));
    // systemd heard READY (after the parts started), watchdog pings from the main thread, then STOPPING.
    const told = readFileSync(notes, 'utf8').trim().split('\n');
    expect(told[0]).toMatch(/^READY=1 STATUS=node sig running/);
    expect(told).toContain('WATCHDOG=1');
    expect(told[told.length - 1]).toBe('STOPPING=1');
  });
});

describe('guarded link (local first even when the link misbehaves)', () => {
  it('a throwing publish/setLastValue never reaches the part; errors are counted and logged once per streak', async () => {
    const { guardedLink } = await import('../../src/mqtt/guarded-link.js');
    const { FakeLink } = await import('../helpers/fake-link.js');
    const inner = new FakeLink('n1');
    let broken = true;
    const realPublish = inner.publish.bind(inner);
    inner.publish = (t, p, o) => {
      if (broken) throw new TypeError('boom');
      realPublish(t, p, o);
    };
    inner.setLastValue = () => {
      throw new TypeError('boom');
    };
    const logger = memoryLogger('info');
    const g = guardedLink(inner, logger);
    expect(() => g.link.publish('fire/trigger', { a: 1 }, { qos: 1 })).not.toThrow();
    expect(() => g.link.setLastValue('pump/n1/state', { s: 1 })).not.toThrow();
    expect(g.errors()).toBe(2);
    expect(logger.lines.filter((l) => l.level === 50)).toHaveLength(1);
    broken = false;
    g.link.publish('fire/trigger', { a: 2 }, { qos: 1 });
    expect(inner.published.map((m) => m.topic)).toEqual(['fire/trigger']);
    expect(g.link.nodeId).toBe('n1');
  });
});

describe('process: an uncaught exception', () => {
  it('puts the pump safe (valve closed, state published), logs fatal and exits non-zero', async () => {
    const mqttMod = await import('mqtt');
    const dir = mkdtempSync(join(tmpdir(), 'wfe-crash-'));
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, `node: { id: crash }\nroles: [consensus, pump]\nstateDir: ${dir}/state\nmqtt: { embedded: { port: 0 } }\npump: { driver: mock }\nhttp: { enabled: false }\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/e2e/fixtures/crash-on-usr2.mjs', 'src/main.ts', 'run', '--config', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NOTIFY_SOCKET: '', MQTT_URL: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(await waitFor(() => out.includes('"node running"'), 40_000)).toBe(true);
    const brokerLine = out.split('\n').find((l) => l.includes('"embedded MQTT broker listening"'));
    const port = Number((JSON.parse(brokerLine ?? '{}') as { port?: number }).port);
    expect(port).toBeGreaterThan(0);
    // A trigger over MQTT opens the main valve (seen on the retained pump state).
    const states: Array<{ state: string; outputs: Record<string, boolean> }> = [];
    const c = mqttMod.default.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0 });
    await new Promise<void>((resolve) => c.once('connect', () => c.subscribe('pump/crash/state', { qos: 1 }, () => resolve())));
    c.on('message', (_t, p) => states.push(JSON.parse(p.toString()) as { state: string; outputs: Record<string, boolean> }));
    const now = Date.now() / 1000;
    c.publish('fire/trigger', JSON.stringify({ action: 'trigger', v: 1, id: 'crash-1', node_id: 'test', ts: now, timestamp: now, expires_at: now + 60 }), { qos: 1 });
    expect(await waitFor(() => states.some((s) => s.outputs?.mainValve === true), 15_000)).toBe(true);

    child.kill('SIGUSR2');
    expect(await exited).toBe(1);
    c.end(true);
    const lines = out.trim().split('\n').flatMap((l) => { try { return [JSON.parse(l) as { ns: string; msg: string; level: number }]; } catch { return []; } });
    const fatal = lines.findIndex((l) => l.level === 60 && /uncaught exception/.test(l.msg));
    const safe = lines.findIndex((l) => l.ns === 'pump' && l.msg.startsWith('pump stopped'));
    expect(fatal).toBeGreaterThan(-1);
    expect(safe).toBeGreaterThan(fatal);
    // The last pump state the broker got before it closed: every output off.
    const last = states[states.length - 1];
    expect(Object.values(last.outputs).every((v) => v === false)).toBe(true);
  });
});

describe('lifecycle deadline', () => {
  it('a part that never stops cannot hold the process: the hard exit deadline fires', async () => {
    const { createLifecycle } = await import('../../src/app/index.js');
    const exits: number[] = [];
    const lc = createLifecycle({ logger: memoryLogger('info'), hardExitMs: 200, exit: (c) => void exits.push(c) });
    const hung = { stop: () => new Promise<void>(() => undefined) } as unknown as import('../../src/app/index.js').App;
    void lc.run(hung);
    lc.request('test', 0);
    lc.request('again', 0); // idempotent: one stop, one deadline
    await new Promise((r) => setTimeout(r, 400));
    expect(exits).toEqual([1]);
  });

  it('a second signal during the safe stop does not exit: the stop (engine pulse) runs to its end', async () => {
    const { createLifecycle } = await import('../../src/app/index.js');
    const exits: number[] = [];
    const logger = memoryLogger('info');
    const lc = createLifecycle({ logger, hardExitMs: 5000, exit: (c) => void exits.push(c) });
    let stopEnded = false;
    const app = { stop: () => new Promise<void>((r) => setTimeout(() => ((stopEnded = true), r()), 300)) } as unknown as import('../../src/app/index.js').App;
    const done = lc.run(app);
    process.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT'); // Ctrl-C again, impatient
    expect(exits).toEqual([]);
    expect(await done).toBe(0);
    expect(stopEnded).toBe(true);
    expect(exits).toEqual([]);
    expect(logger.lines.some((l) => l.msg.startsWith('signal received while stopping'))).toBe(true);
  });

  it('a stop that finishes resolves run() with the requested code and no hard exit', async () => {
    const { createLifecycle } = await import('../../src/app/index.js');
    const exits: number[] = [];
    const lc = createLifecycle({ logger: memoryLogger('info'), hardExitMs: 200, exit: (c) => void exits.push(c) });
    const app = { stop: async () => undefined } as unknown as import('../../src/app/index.js').App;
    const done = lc.run(app);
    lc.request('fatal', 1);
    expect(await done).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(exits).toEqual([]);
  });
});

describe('Home Assistant discovery', () => {
  it('with homeassistant.discovery the node publishes retained configs pointing at its own state topics', async () => {
    const mqttMod = await import('mqtt');
    const logger = memoryLogger('info');
    const app = createApp({
      config: config({ homeassistant: { discovery: true }, mqtt: { embedded: { port: 0 }, topicPrefix: 'site1', closeGraceMs: 500 } }),
      logger,
      overrides: { pumpDriver: new MockGpioDriver({ clock: systemClock }) },
    });
    expect((await app.start()).ok).toBe(true);
    const url = (app.snapshot().mqtt as { url: string }).url;
    const got = new Map<string, Record<string, unknown>>();
    const c = mqttMod.default.connect(url, { protocolVersion: 4 });
    await new Promise<void>((resolve) => c.once('connect', () => c.subscribe('homeassistant/#', { qos: 1 }, () => resolve())));
    c.on('message', (t, p) => got.set(t, JSON.parse(p.toString()) as Record<string, unknown>));
    const expected = [
      'homeassistant/binary_sensor/wfe_wiring/fire_confirmed/config',
      'homeassistant/binary_sensor/wfe_wiring/main_valve/config',
      'homeassistant/binary_sensor/wfe_wiring/pump_armed/config',
      'homeassistant/binary_sensor/wfe_wiring/pump_error/config',
      'homeassistant/binary_sensor/wfe_wiring/pump_running/config',
      'homeassistant/binary_sensor/wfe_wiring/throttled/config',
      'homeassistant/button/wfe_wiring/pump_arm/config',
      'homeassistant/button/wfe_wiring/pump_disarm/config',
      'homeassistant/button/wfe_wiring/pump_reset/config',
      'homeassistant/button/wfe_wiring/pump_stop/config',
      'homeassistant/sensor/wfe_wiring/consensus/config',
      'homeassistant/sensor/wfe_wiring/cpu_temperature/config',
      'homeassistant/sensor/wfe_wiring/health/config',
      'homeassistant/sensor/wfe_wiring/outbox_depth/config',
      'homeassistant/sensor/wfe_wiring/pump_state/config',
    ];
    expect(await waitFor(() => got.size >= expected.length, 10_000)).toBe(true);
    expect([...got.keys()].sort()).toEqual(expected);
    const valve = got.get('homeassistant/binary_sensor/wfe_wiring/main_valve/config')!;
    expect(valve.state_topic).toBe('site1/pump/wiring/state'); // the prefix goes on our topics only
    expect(valve.availability).toEqual([{ topic: 'site1/system/wiring/availability', payload_available: 'online', payload_not_available: 'offline' }]);
    expect((got.get('homeassistant/button/wfe_wiring/pump_stop/config')!).command_topic).toBe('site1/fire/emergency');
    c.end(true);
    await app.stop('test');
  });
});

describe('stop with the engine running', () => {
  it('waits for the whole engine stop pulse even when the per-part deadline is shorter', async () => {
    const logger = memoryLogger('info');
    const gpio = new MockGpioDriver({ clock: systemClock });
    const cfg = config({ pump: { driver: 'mock', timings: { ...SHORT_PUMP_TIMINGS, ignitionOffDuration: 1.2 } }, http: { enabled: false } });
    const app = createApp({ config: cfg, logger, overrides: { pumpDriver: gpio }, stopPartMs: 500 });
    expect((await app.start()).ok).toBe(true);
    const now = Date.now() / 1000;
    app.bus.emit('trigger', { action: 'trigger', v: 1, id: 'run-1', node_id: 'wiring', ts: now, timestamp: now, expires_at: now + 60 });
    // The engine circuit is on once the start sequence has run.
    expect(await waitFor(() => gpio.level(DEFAULT_PINS.ignitionOn) === 1, 10_000)).toBe(true);
    await app.stop('test');
    const off = gpio.timeline.filter((c) => c.pin === DEFAULT_PINS.ignitionOff && c.kind === 'output');
    const rise = off.find((c) => c.level === 1);
    const fall = off.find((c) => c.level === 0 && rise !== undefined && c.t > rise.t);
    expect(rise).toBeDefined();
    expect(fall).toBeDefined();
    // The full pulse (1.2 s), although the app's per-part deadline was 500 ms.
    expect(fall!.t - rise!.t).toBeGreaterThanOrEqual(1150);
    expect(Object.values(gpio.levels()).every((l) => l === 0)).toBe(true);
    const msgs = logger.lines.map((l) => `${l.ns}: ${l.msg}`);
    expect(msgs.findIndex((m) => m.startsWith('app.mqtt: mqtt core closed'))).toBeGreaterThan(msgs.findIndex((m) => m.startsWith('app.pump: pump stopped')));
    // Only the pump and the link are asked about: on a loaded 2-core CI machine another part may
    // legitimately outlast 500 ms, and that is what the per-part deadline is for.
    const timedOut = logger.lines.filter((l) => l.msg.startsWith('part stop timed out')).map((l) => l.part);
    expect(timedOut.filter((p) => p === 'pump' || p === 'mqtt')).toEqual([]);
  });
});

describe('stop with a short per-part deadline', () => {
  it('the MQTT core gets its own close grace: it has closed, embedded broker included, before stop resolves', async () => {
    // CI once saw the core's close (flush, disconnect, broker close, fsync) outlast a 100 ms per-part
    // deadline on a loaded machine; the app then moved on with the broker still open. A 1 ms
    // deadline makes that certain without the fix.
    const logger = memoryLogger('info');
    const app = createApp({ config: config({ http: { enabled: false } }), logger, overrides: { pumpDriver: new MockGpioDriver({ clock: systemClock }) }, stopPartMs: 1 });
    expect((await app.start()).ok).toBe(true);
    await app.stop('test');
    const timedOut = logger.lines.filter((l) => l.msg.startsWith('part stop timed out')).map((l) => l.part);
    expect(timedOut).not.toContain('mqtt');
    expect(logger.lines.some((l) => l.ns === 'app.mqtt' && l.msg === 'mqtt core closed')).toBe(true);
  });
});

describe('docs/pump.md Safety 1 at boot: outputs off before anything else', () => {
  /** Relays still latched ON by a process that was SIGKILLed (rpio and gpiochip keep levels). */
  async function latchedGpio(): Promise<MockGpioDriver> {
    const gpio = new MockGpioDriver({ clock: systemClock });
    await gpio.open({ outputs: Object.values(DEFAULT_PINS).map((pin) => ({ pin, initial: 1 as const })), inputs: [] });
    return gpio;
  }

  it('a node whose MQTT part cannot start (embedded port taken) still drives every output off', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const gpio = await latchedGpio();
    // A latched dry-run ERROR from before: stopping a pump that never started must not erase it.
    const stateDir = mkdtempSync(join(tmpdir(), 'wfe-boot-mqtt-'));
    const saved = { v: 1, state: 'ERROR', armed: true, holdRemainingS: 0, lockoutRemainingS: 0, refillRuntimeS: 0, error: 'dry_run', run: null, lastTriggerId: null, bootId: 'another-boot', savedUptimeS: 1 };
    writeFileSync(join(stateDir, 'pump-state.json'), JSON.stringify(saved));
    const app = createApp({ config: config({ stateDir, mqtt: { embedded: { port }, closeGraceMs: 200 }, http: { enabled: false } }), logger: memoryLogger('info'), overrides: { pumpDriver: gpio } });
    const r = await app.start();
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^mqtt:/);
    expect(Object.values(gpio.levels()).every((l) => l === 0)).toBe(true);
    await app.stop('test');
    expect(Object.values(gpio.levels()).every((l) => l === 0)).toBe(true);
    expect(JSON.parse(readFileSync(join(stateDir, 'pump-state.json'), 'utf8'))).toMatchObject({ state: 'ERROR', error: 'dry_run' });
    await new Promise<void>((r2) => srv.close(() => r2()));
  });

  /** A state dir holding a run in progress when the last process died: a full start would resume it (PRIMING). */
  function savedRunDir(prefix: string): string {
    const stateDir = mkdtempSync(join(tmpdir(), prefix));
    const saved = { v: 1, state: 'RUNNING', armed: true, holdRemainingS: 0, lockoutRemainingS: 0, refillRuntimeS: 0, error: null, run: { usedS: 5, fireOffRemainingS: 25, attempt: 1, engineOn: false, graceful: false }, lastTriggerId: null, bootId: 'another-boot', savedUptimeS: 1 };
    writeFileSync(join(stateDir, 'pump-state.json'), JSON.stringify(saved));
    return stateDir;
  }

  it('a stop requested while the node starts: the pump never starts, outputs stay off, the saved run is kept', async () => {
    const stateDir = savedRunDir('wfe-boot-stop-');
    const gpio = await latchedGpio();
    const latched = gpio.timeline.length;
    const logger = memoryLogger('info');
    const app = createApp({ config: config({ stateDir, http: { enabled: false } }), logger, overrides: { pumpDriver: gpio } });
    const starting = app.start();
    const stopped = app.stop('SIGTERM'); // arrives while the MQTT part is still starting
    const r = await starting;
    await stopped;
    expect(r).toEqual({ ok: false, reason: STOPPED_WHILE_STARTING });
    await new Promise((res) => setTimeout(res, 1500)); // PRIMING would open the valve within this
    expect(Object.values(gpio.levels()).every((l) => l === 0)).toBe(true);
    const ours = gpio.timeline.slice(latched);
    expect(ours.length).toBeGreaterThan(0); // the outputs were driven off (not merely left alone)
    expect(ours.filter((c) => c.level === 1)).toEqual([]);
    expect(logger.lines.some((l) => l.msg === 'stop requested while starting; start abandoned')).toBe(true);
    // The controller never restored the file, so it must not have overwritten it either.
    expect(JSON.parse(readFileSync(join(stateDir, 'pump-state.json'), 'utf8'))).toMatchObject({ state: 'RUNNING', run: { usedS: 5 } });
  });
  it('a SIGTERM while the node starts, through the lifecycle (pump safe stop first): the pump never starts, the saved run is kept', async () => {
    const { createLifecycle } = await import('../../src/app/index.js');
    const stateDir = savedRunDir('wfe-boot-sig-');
    const gpio = await latchedGpio();
    const latched = gpio.timeline.length;
    const logger = memoryLogger('info');
    const app = createApp({ config: config({ stateDir, http: { enabled: false } }), logger, overrides: { pumpDriver: gpio } });
    const states: string[] = [];
    app.bus.on('pump.state', 'test', (st) => void states.push(st.state));
    const lc = createLifecycle({ logger, hardExitMs: 20_000, exit: () => undefined });
    const done = lc.run(app);
    const starting = app.start();
    // The signal lands once the pump part is prepared (outputs driven off), while the MQTT part starts.
    while (gpio.timeline.length === latched) await new Promise((res) => setImmediate(res));
    process.emit('SIGTERM');
    const r = await starting;
    expect(await done).toBe(0);
    expect(r).toEqual({ ok: false, reason: STOPPED_WHILE_STARTING });
    await new Promise((res) => setTimeout(res, 1500)); // PRIMING would open the valve within this
    expect(Object.values(gpio.levels()).every((l) => l === 0)).toBe(true);
    expect(gpio.timeline.slice(latched).filter((c) => c.level === 1)).toEqual([]);
    expect(states).toEqual(['STOPPED_FOR_EXIT']); // its final state, and nothing after it
    expect(JSON.parse(readFileSync(join(stateDir, 'pump-state.json'), 'utf8'))).toMatchObject({ state: 'RUNNING', run: { usedS: 5 } });
  });
});
