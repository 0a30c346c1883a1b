import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppBus } from '../../src/bus/index.js';
import { systemClock } from '../../src/core/clock.js';
import { seededRandom } from '../../src/core/random.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createNotifier, notifyConfigSchema, type Notifier, type NotificationPayload } from '../../src/notify/index.js';
import { freePort } from '../helpers/mosquitto.js';

interface Got {
  headers: IncomingMessage['headers'];
  body: NotificationPayload;
  path: string;
}

const servers: Server[] = [];
const notifiers: Notifier[] = [];
afterEach(async () => {
  for (const n of notifiers.splice(0)) await n.stop(0);
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A local webhook receiver; `respond` decides each answer (status, or 'hang'). */
async function receiver(respond: (n: number) => number | 'hang' = () => 204) {
  const got: Got[] = [];
  let n = 0;
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(data), path: req.url ?? '' });
      const a = respond(++n);
      if (a === 'hang') return;
      res.writeHead(a).end();
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { got, url: `http://127.0.0.1:${port}/hook/SECRET-TOKEN?key=abc`, port };
}

function make(webhooks: object[], extra: object = {}) {
  const bus = createAppBus();
  const log = memoryLogger('info');
  const n = createNotifier({
    config: notifyConfigSchema.parse({ webhooks, retryBaseMs: 5, retryMaxMs: 20, ...extra }),
    nodeId: 'pi-north',
    logger: log,
    clock: systemClock,
    random: seededRandom(1),
    bus,
    userAgent: 'wildfire-edge/test',
  });
  notifiers.push(n);
  n.start();
  return { bus, log, n };
}

const until = async (pred: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const decided = {
  state: 'triggered' as const,
  cameras_seeing_fire: ['north', 'south'],
  threshold: 2,
  last_trigger: { id: 't-1', ts: 1 },
  decided: { action: 'trigger' as const, id: 't-1', consensus_cameras: ['north', 'south'], confidence: 0.91 },
};

describe('notify config', () => {
  it('validates URLs and applies defaults', () => {
    const c = notifyConfigSchema.parse({ webhooks: [{ url: 'https://example.org/x' }] });
    expect(c.webhooks[0]).toEqual({ url: 'https://example.org/x', events: ['fire', 'pump', 'blocked', 'error', 'camera', 'mqtt'], timeoutMs: 5000, retries: 3, headers: {} });
    expect(c.queueSize).toBe(100);
    expect(notifyConfigSchema.parse(undefined).webhooks).toEqual([]);
    // user:password@ too: fetch refuses such URLs, so the hook would fail only at the first real event.
    for (const url of ['ftp://example.org/', 'not a url', 'javascript:alert(1)', '', 'http://alice:s3cret@example.org/hook']) {
      expect(notifyConfigSchema.safeParse({ webhooks: [{ url }] }).success).toBe(false);
    }
    expect(notifyConfigSchema.safeParse({ webhooks: [{ url: 'https://x.org', events: ['smoke'] }] }).success).toBe(false);
  });
});

describe('the webhook POST', () => {
  it('reads the status, never the body: a receiver answering with an endless body cannot fill memory', async () => {
    const { fetchPost } = await import('../../src/notify/webhook.js');
    let sentBytes = 0;
    const srv = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1 << 20);
      const pump = () => {
        while (!res.destroyed && sentBytes < 2048 * chunk.length) {
          sentBytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const r = await fetchPost(`http://127.0.0.1:${port}/hook`, '{}', {}, new AbortController().signal);
    expect(r).toEqual({ ok: true, status: 200 });
    // Returned long before the 2 GB body could have been read (the socket is dropped instead).
    expect(sentBytes).toBeLessThan(512 * (1 << 20));
  });
});

describe('notifier against a local HTTP server', () => {
  it('POSTs a JSON notification when a fire is decided, with configured headers', async () => {
    const r = await receiver();
    const { bus, n } = make([{ url: r.url, headers: { authorization: 'Bearer s3cret' } }]);
    bus.emit('consensus.state', decided);
    await until(() => r.got.length === 1);
    const g = r.got[0];
    expect(g.path).toBe('/hook/SECRET-TOKEN?key=abc');
    expect(g.headers['content-type']).toBe('application/json');
    expect(g.headers['user-agent']).toBe('wildfire-edge/test');
    expect(g.headers.authorization).toBe('Bearer s3cret');
    expect(g.body).toMatchObject({ v: 1, node_id: 'pi-north', event: 'fire', kind: 'fire_decided', detail: { trigger_id: 't-1', cameras: ['north', 'south'], confidence: 0.91 } });
    expect(g.body.title).toContain('FIRE');
    await until(() => n.metrics().sent === 1);
  });

  it('sends only the subscribed categories to each webhook', async () => {
    const a = await receiver();
    const b = await receiver();
    const { bus, n } = make([
      { url: a.url, events: ['pump', 'error'] },
      { url: b.url, events: ['fire'] },
    ]);
    bus.emit('consensus.state', decided);
    bus.emit('pump.event', { event: 'transition', from: 'IDLE', to: 'PRIMING', reason: 'trigger t-1' });
    bus.emit('pump.event', { event: 'transition', from: 'STOPPING', to: 'ERROR', reason: 'dry_run' });
    await until(() => n.metrics().sent === 3);
    expect(a.got.map((g) => g.body.kind)).toEqual(['pump_started', 'pump_error']);
    expect(b.got.map((g) => g.body.kind)).toEqual(['fire_decided']);
  });

  it('retries a failing server, then gives up with a counted, logged failure that hides the URL secret', async () => {
    const r = await receiver(() => 500);
    const { bus, n, log } = make([{ url: r.url, retries: 3 }]);
    bus.emit('mqtt.connection', { from: 'RECONNECTING', to: 'FAILED', reason: 'ECONNREFUSED' });
    await until(() => n.metrics().failed === 1);
    expect(r.got).toHaveLength(4);
    expect(new Set(r.got.map((g) => g.body.id)).size).toBe(1); // the same notification, retried
    expect(n.metrics()).toMatchObject({ sent: 0, failed: 1, retries: 3 });
    const err = log.lines.find((l) => l.msg === 'notification not delivered; giving up')!;
    expect(err).toMatchObject({ kind: 'mqtt_failed', last_error: 'HTTP 500', webhook: `http://127.0.0.1:${r.port}/***` });
    expect(JSON.stringify(log.lines)).not.toContain('SECRET-TOKEN');
  });

  it('delivers after transient failures', async () => {
    const r = await receiver((i) => (i <= 2 ? 503 : 200));
    const { bus, n } = make([{ url: r.url }]);
    bus.emit('camera.status', { camera: 'north', status: { status: 'offline', error: 'rtsp timeout' } });
    await until(() => n.metrics().sent === 1);
    expect(r.got).toHaveLength(3);
    expect(n.metrics()).toMatchObject({ failed: 0, retries: 2 });
  });

  it('does not retry a 4xx answer (a wrong URL or token will not fix itself)', async () => {
    const r = await receiver(() => 404);
    const { bus, n } = make([{ url: r.url, retries: 3 }]);
    bus.emit('consensus.state', decided);
    await until(() => n.metrics().failed === 1);
    expect(r.got).toHaveLength(1);
  });

  it('times out a hanging server per request and retries', async () => {
    const r = await receiver(() => 'hang');
    const { bus, n, log } = make([{ url: r.url, retries: 1, timeoutMs: 100 }]);
    bus.emit('consensus.state', decided);
    await until(() => n.metrics().failed === 1);
    expect(r.got).toHaveLength(2);
    expect(log.lines.find((l) => l.msg === 'notification not delivered; giving up')?.last_error).toBe('timeout after 100 ms');
  });

  it('gives up on a refused connection after the retries', async () => {
    const port = await freePort();
    const { bus, n } = make([{ url: `http://127.0.0.1:${port}/x`, retries: 2 }]);
    bus.emit('consensus.state', decided);
    await until(() => n.metrics().failed === 1);
    expect(n.metrics().retries).toBe(2);
  });

  it('never blocks the emitter and bounds the queue (oldest dropped, counted)', async () => {
    const r = await receiver(() => 'hang');
    const { bus, n } = make([{ url: r.url, retries: 0, timeoutMs: 60_000 }], { queueSize: 2 });
    for (let i = 0; i < 5; i++) bus.emit('pump.event', { event: 'trigger_refused', from: 'REFILLING', to: null, reason: 'trigger_blocked_refilling', trigger_id: `t${i}` });
    // The emits returned at once although the endpoint never answers: 1 in flight, 2 queued, 2 dropped.
    expect(bus.listenerErrors).toBe(0);
    expect(n.metrics().dropped).toBe(2);
    await until(() => r.got.length === 1);
    expect(r.got[0].body.detail.trigger_id).toBe('t0');
    await n.stop(0);
    expect(n.metrics().dropped).toBe(4);
  });

  it('flushes queued notifications within the stop grace period', async () => {
    const r = await receiver();
    const { bus, n } = make([{ url: r.url }]);
    bus.emit('pump.event', { event: 'transition', from: 'STOPPING', to: 'REFILLING', reason: 'fire_off' });
    bus.emit('pump.event', { event: 'transition', from: 'STOPPING', to: 'COOLDOWN', reason: 'stop command' });
    await n.stop(5000);
    expect(r.got.map((g) => g.body.kind)).toEqual(['pump_stopped', 'pump_stopped']);
    bus.emit('consensus.state', decided); // after stop: no longer subscribed
    await new Promise((res) => setTimeout(res, 30));
    expect(r.got).toHaveLength(2);
  });

  it('bounds stop() by the grace period on the injected clock, then aborts what is in flight', async () => {
    const r = await receiver(() => 'hang');
    const clock = new VirtualClock();
    const bus = createAppBus();
    const n = createNotifier({
      config: notifyConfigSchema.parse({ webhooks: [{ url: r.url, retries: 0, timeoutMs: 60_000 }] }),
      nodeId: 'pi-north',
      logger: memoryLogger('info'),
      clock,
      bus,
    });
    n.start();
    bus.emit('consensus.state', decided);
    await until(() => r.got.length === 1);
    let stopped = false;
    const p = n.stop(3000).then(() => (stopped = true));
    await new Promise((res) => setTimeout(res, 20));
    expect(stopped).toBe(false);
    clock.advance(3000);
    await p;
    await until(() => n.metrics().failed === 1);
    expect(n.metrics().sent).toBe(0);
  });
});
