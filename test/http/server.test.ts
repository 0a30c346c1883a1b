/* eslint-disable @typescript-eslint/no-explicit-any */
import { afterEach, describe, expect, it } from 'vitest';
import { createAppBus, type AppBus } from '../../src/bus/index.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createHttpServer, httpConfigSchema, type HttpServer, type StatusSnapshot } from '../../src/http/index.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.stop();
});

function baseStatus(): StatusSnapshot {
  return {
    node: { id: 'pi-north', version: '0.1.0', roles: ['camera', 'consensus', 'pump'] },
    health: { status: 'ok', problems: [] },
    mqtt: { state: 'CONNECTED', outboxDepth: 3, outboxMax: 10000 },
    cameras: [{ id: 'north', status: 'online', fps: 2 }],
    consensus: { state: 'watching', cameras_seeing_fire: ['north'], threshold: 2 },
    pump: { state: 'IDLE', armed: true, outputs: { mainValve: false }, inputs: { flowSensor: null }, error: null, driver: 'mock' },
  };
}

async function start(o: { status?: () => StatusSnapshot; metrics?: Record<string, () => Record<string, number | Record<string, number>>>; bus?: AppBus; port?: number; ssePeriodMs?: number; sseMaxBacklogBytes?: number } = {}) {
  const bus = o.bus ?? createAppBus();
  const log = memoryLogger('info');
  const srv = createHttpServer({
    config: httpConfigSchema.parse({ port: o.port ?? 0 }),
    logger: log,
    bus,
    status: o.status ?? baseStatus,
    metrics: o.metrics ?? {},
    ssePeriodMs: o.ssePeriodMs ?? 400,
    sseMaxBacklogBytes: o.sseMaxBacklogBytes,
  });
  servers.push(srv);
  const r = await srv.start();
  if (!r.ok) throw new Error(r.reason);
  return { srv, bus, log, base: `http://127.0.0.1:${r.value.port}`, port: r.value.port };
}

describe('http config', () => {
  it('defaults to enabled on 127.0.0.1:8080', () => {
    expect(httpConfigSchema.parse(undefined)).toEqual({ enabled: true, host: '127.0.0.1', port: 8080 });
    expect(httpConfigSchema.safeParse({ port: 70000 }).success).toBe(false);
  });
});

describe('status server', () => {
  it('serves a self-contained page with a strict CSP and the node id escaped', async () => {
    const s = baseStatus();
    s.node.id = '<script>alert(1)</script>';
    const { base } = await start({ status: () => s });
    const res = await fetch(base + '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    // No CDN or external resource, and data is never rendered through innerHTML.
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html).not.toContain('innerHTML');
    expect(html.length).toBeLessThan(20_000);
  });

  it('returns the status JSON with pump events and snapshot times collected from the bus', async () => {
    const { base, bus } = await start();
    bus.emit('pump.event', { event: 'transition', from: 'IDLE', to: 'PRIMING', reason: 'trigger t1' });
    bus.emit('pump.event', { event: 'trigger_refused', from: null, to: null, reason: 'trigger_blocked_refilling' });
    bus.emit('camera.snapshot', { camera: 'north', jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), ts: 1764200000.5 });
    const body = (await (await fetch(base + '/api/status')).json()) as any;
    expect(body.node.id).toBe('pi-north');
    expect(body.mqtt).toEqual({ state: 'CONNECTED', outboxDepth: 3, outboxMax: 10000 });
    expect(body.pump.outputs).toEqual({ mainValve: false });
    expect(body.pumpEvents.map((e: { event: string; reason: string }) => [e.event, e.reason])).toEqual([
      ['transition', 'trigger t1'],
      ['trigger_refused', 'trigger_blocked_refilling'],
    ]);
    expect(body.snapshots).toEqual({ north: 1764200000500 });
  });

  it('keeps only the last N pump events', async () => {
    const { base, bus } = await start();
    for (let i = 0; i < 30; i++) bus.emit('pump.event', { event: `e${i}`, from: null, to: null, reason: null });
    const body = (await (await fetch(base + '/api/status')).json()) as any;
    expect(body.pumpEvents).toHaveLength(20);
    expect(body.pumpEvents[0].event).toBe('e10');
  });

  it('serves the last snapshot per camera and 404s anything else', async () => {
    const { base, bus } = await start();
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    bus.emit('camera.snapshot', { camera: 'north', jpeg, ts: 1 });
    const r = await fetch(base + '/snapshot/north.jpg');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(jpeg);
    expect((await fetch(base + '/snapshot/south.jpg')).status).toBe(404);
    expect((await fetch(base + '/snapshot/..%2Fetc.jpg')).status).toBe(404);
    expect((await fetch(base + '/nope')).status).toBe(404);
  });

  it('answers /healthz 200 when ok and 503 with reasons otherwise; failedOnly=1 only fails on failed', async () => {
    let s = baseStatus();
    const { base } = await start({ status: () => s });
    let r = await fetch(base + '/healthz');
    expect(r.status).toBe(200);
    expect((await r.json()) as any).toEqual({ status: 'ok', problems: [] });
    s = { ...s, health: { status: 'degraded', problems: [{ code: 'camera_down', subject: 'north', message: 'camera north is offline' }] } };
    r = await fetch(base + '/healthz');
    expect(r.status).toBe(503);
    expect(((await r.json()) as any).problems[0].message).toBe('camera north is offline');
    expect((await fetch(base + '/healthz?failedOnly=1')).status).toBe(200);
    s = { ...s, health: { status: 'failed', problems: [{ code: 'detector_failed', message: 'x' }] } };
    expect((await fetch(base + '/healthz?failedOnly=1')).status).toBe(503);
  });

  it('reports a throwing status source as 500 / 503 and keeps serving', async () => {
    const { base } = await start({
      status: () => {
        throw new Error('pump snapshot broke');
      },
    });
    expect((await fetch(base + '/api/status')).status).toBe(500);
    const h = await fetch(base + '/healthz');
    expect(h.status).toBe(503);
    expect(((await h.json()) as any).problems[0].message).toBe('pump snapshot broke');
    expect((await fetch(base + '/')).status).toBe(200);
  });

  it('exports every part’s metrics as Prometheus text, nested records as a label', async () => {
    let connects = 3;
    const { base } = await start({
      metrics: {
        mqtt: () => ({ connects, outbox_depth: 7, rejected: { non_json: 2, oversize: 1 }, sent_total: 40 }),
        'pump-ctl': () => ({ runs: 1 }),
        broken: () => {
          throw new Error('nope');
        },
      },
    });
    const r = await fetch(base + '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    let text = await r.text();
    expect(text).toMatch(/^wfe_mqtt_connects 3$/m);
    expect(text).toMatch(/^wfe_mqtt_outbox_depth 7$/m);
    expect(text).toMatch(/^wfe_mqtt_rejected\{key="non_json"\} 2$/m);
    expect(text).toMatch(/^wfe_mqtt_rejected\{key="oversize"\} 1$/m);
    expect(text).toMatch(/^# TYPE wfe_mqtt_sent_total counter$/m);
    expect(text).toMatch(/^# TYPE wfe_mqtt_connects gauge$/m);
    expect(text).toMatch(/^wfe_pump_ctl_runs 1$/m);
    expect(text).toMatch(/^wfe_metrics_source_errors_total\{part="broken"\} 1$/m);
    expect(text).toMatch(/^wfe_process_resident_memory_bytes \d+/m);
    connects = 4; // values are read at scrape time
    text = await (await fetch(base + '/metrics')).text();
    expect(text).toMatch(/^wfe_mqtt_connects 4$/m);
    expect(text).toMatch(/^wfe_metrics_source_errors_total\{part="broken"\} 2$/m);
  });

  it('streams status over SSE and pushes bus changes promptly', async () => {
    const { base, bus } = await start();
    const ac = new AbortController();
    const res = await fetch(base + '/events', { signal: ac.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let buf = '';
    const until = async (pred: (s: string) => boolean) => {
      while (!pred(buf)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += Buffer.from(value).toString();
      }
    };
    await until((s) => s.includes('event: status'));
    expect(buf).toContain('"pi-north"');
    bus.emit('pump.event', { event: 'transition', from: 'PRIMING', to: 'STARTING', reason: 'valve confirmed' });
    await until((s) => s.includes('valve confirmed'));
    ac.abort();
  });

  it('refuses other methods', async () => {
    const { base } = await start();
    const r = await fetch(base + '/api/status', { method: 'POST' });
    expect(r.status).toBe(405);
  });

  it('reports a bind failure as a Result and never throws; a stopped server frees its port', async () => {
    const a = await start();
    const bus = createAppBus();
    const log = memoryLogger('info');
    const b = createHttpServer({ config: httpConfigSchema.parse({ port: a.port }), logger: log, bus, status: baseStatus, metrics: {} });
    const r = await b.start();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('EADDRINUSE');
    expect(log.lines.some((l) => l.level === 40 && String(l.msg).includes('keeps running'))).toBe(true);
    expect(bus.listenerCount('pump.event')).toBe(0);
    await a.srv.stop();
    servers.length = 0;
    const again = await b.start();
    expect(again.ok).toBe(true);
    servers.push(b);
  });

  it('drops a live view that stopped reading instead of buffering frames for it without bound', async () => {
    const { connect } = await import('node:net');
    // A big status (~200 KB a frame) pushed every 50 ms fills the socket buffers quickly.
    const big = { ...baseStatus(), cameras: Array.from({ length: 4000 }, (_, i) => ({ id: `cam${i}`, status: 'online', fps: 2 })) };
    const { srv, port, bus } = await start({ status: () => big, ssePeriodMs: 50, sseMaxBacklogBytes: 256 * 1024 });
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    sock.pause(); // never reads again
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    const end = Date.now() + 20_000;
    while (srv.metrics().sse_dropped_slow === 0 && Date.now() < end) {
      bus.emit('pump.event', { event: 'transition', from: 'IDLE', to: 'PRIMING', reason: 'x' }); // pushes promptly
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(srv.metrics()).toMatchObject({ sse_dropped_slow: 1, sse_clients: 0 });
    sock.resume(); // drain what was sent, then see the server's close
    await closed;
  });

  it('bounds the number of live SSE views', async () => {
    const { base } = await start();
    const ac = new AbortController();
    const open = await Promise.all(Array.from({ length: 16 }, () => fetch(base + '/events', { signal: ac.signal })));
    expect(open.every((r) => r.status === 200)).toBe(true);
    const extra = await fetch(base + '/events');
    expect(extra.status).toBe(429);
    expect((await fetch(base + '/api/status')).status).toBe(200);
    ac.abort();
  });
});
