import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AppBus } from '../bus/index.js';
import type { MetricSnapshot, MetricSpecs } from '../core/metrics.js';
import { HTTP_METRICS } from './metric-specs.js';
import { fail, ok, type Result } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import { CAMERA_ID_RE } from '../topics/topics.js';
import type { HttpConfig } from './config.js';
import { FAVICON_SVG, PAGE_CSP, renderPage } from './page.js';
import { createMetricsExporter } from './prometheus.js';
import type { PageEvent, PageStateChange, PageStatus, StatusSnapshot } from './status.js';

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  config: HttpConfig;
  logger: Logger;
  bus: AppBus;
  /** Current status of the node (built by the wiring from the parts' snapshots and telemetry health). */
  status: () => StatusSnapshot;
  /** Part name → its `metrics()`; each becomes `wfe_<part>_*` on `/metrics`. */
  metrics: Record<string, () => MetricSnapshot>;
  /** Part name → how its keys are exported (each part's metric-specs.ts). */
  metricSpecs?: Record<string, MetricSpecs>;
  /** Last pump events kept for the page; default 20. */
  maxEvents?: number;
  /** SSE refresh period in ms (also the coalescing window after bus events is 1/8 of it); default 2000. */
  ssePeriodMs?: number;
  /** A live view whose unsent backlog exceeds this is dropped (a client that stopped reading); default 1 MiB. */
  sseMaxBacklogBytes?: number;
  /** How far back the page's pump band reaches; default 15 min. */
  stateHistoryMs?: number;
}

/** The local status/metrics server. */
export interface HttpServer {
  /**
   * Bind and serve. Never rejects: a bind failure (port in use, bad host) is returned as a failed
   * Result for the wiring to report in health; the node keeps running (docs/design.md "Optional listeners").
   */
  start(): Promise<Result<{ port: number }>>;
  /** Close listeners and SSE streams. Idempotent. */
  stop(): Promise<void>;
  /** Requests by route, SSE clients, render errors. */
  metrics(): MetricSnapshot;
}

const OWNER = 'http';
const MAX_SSE_CLIENTS = 16;
const MAX_STATE_CHANGES = 200;
const ROUTES = new Set(['/', '/api/status', '/healthz', '/metrics', '/events', '/favicon.svg', '/favicon.ico']);
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

/** Build the status page / `/metrics` / `/healthz` server (issue 7). */
export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const { config, logger: log, bus } = opts;
  const maxEvents = opts.maxEvents ?? 20;
  const period = opts.ssePeriodMs ?? 2000;
  const exporter = createMetricsExporter(opts.metrics, { ...opts.metricSpecs, http: HTTP_METRICS });
  const snapshots = new Map<string, { jpeg: Buffer; ts: number }>();
  const events: PageEvent[] = [];
  // Pump states for the timeline's pump band: bounded by count and age (the page shows minutes).
  const pumpStates: PageStateChange[] = [];
  const maxStateAgeMs = opts.stateHistoryMs ?? 15 * 60_000;
  const clients = new Set<ServerResponse>();
  const requests: Record<string, number> = {};
  const counters = { status_errors: 0, sse_clients: 0, sse_dropped_slow: 0 };
  const maxBacklog = opts.sseMaxBacklogBytes ?? 1024 * 1024;
  let server: Server | null = null;
  let tick: NodeJS.Timeout | null = null;
  let pending: NodeJS.Timeout | null = null;

  function pageStatus(): Result<PageStatus> {
    try {
      const s = opts.status();
      const now = Date.now();
      while (pumpStates.length > 1 && pumpStates[1].at < now - maxStateAgeMs) pumpStates.shift();
      if (pumpStates.length === 0 && s.pump) pumpStates.push({ at: now, state: s.pump.state });
      return ok({ ...s, pumpEvents: [...events], pumpStates: [...pumpStates], refreshMs: period, snapshots: Object.fromEntries([...snapshots].map(([k, v]) => [k, v.ts])), generatedAt: now });
    } catch (err) {
      counters.status_errors++;
      log.warn('status snapshot failed', { err });
      return fail(err instanceof Error ? err.message : String(err));
    }
  }

  function pushAll(): void {
    if (clients.size === 0) return;
    const s = pageStatus();
    if (!s.ok) return;
    const frame = `event: status\ndata: ${JSON.stringify(s.value)}\n\n`;
    for (const c of clients) {
      // A client that stopped reading would make Node buffer every frame for it, without bound.
      if (c.writableLength > maxBacklog) {
        counters.sse_dropped_slow++;
        clients.delete(c);
        counters.sse_clients = clients.size;
        c.destroy();
        continue;
      }
      c.write(frame);
    }
  }

  // Bus changes are pushed promptly but coalesced, so a crank pulse burst is one frame, not ten.
  function soon(): void {
    if (pending || clients.size === 0) return;
    pending = setTimeout(() => {
      pending = null;
      pushAll();
    }, Math.max(10, period / 8));
  }

  function send(res: ServerResponse, code: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(code, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    // Known routes only: a scanner's random paths must not each become a permanent metric series.
    const route = path.startsWith('/snapshot/') ? '/snapshot' : ROUTES.has(path) ? path : 'other';
    requests[route] = (requests[route] ?? 0) + 1;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/') {
      const s = pageStatus();
      send(res, 200, 'text/html; charset=utf-8', renderPage(s.ok ? s.value.node.id : 'wildfire-edge'), { 'content-security-policy': PAGE_CSP });
    } else if (path === '/api/status') {
      const s = pageStatus();
      if (s.ok) send(res, 200, 'application/json', JSON.stringify(s.value));
      else send(res, 500, 'application/json', JSON.stringify({ error: s.reason }));
    } else if (path === '/healthz') {
      // 200 only when ok; `?failedOnly=1` answers 503 only for `failed` (for checks that restart things).
      const s = pageStatus();
      const status = s.ok ? s.value.health.status : 'failed';
      const problems = s.ok ? s.value.health.problems : [{ code: 'status_unavailable', message: s.reason }];
      const bad = url.searchParams.get('failedOnly') === '1' ? status === 'failed' : status !== 'ok';
      send(res, bad ? 503 : 200, 'application/json', JSON.stringify({ status, problems }) + '\n');
    } else if (path === '/favicon.svg' || path === '/favicon.ico') {
      send(res, 200, 'image/svg+xml', FAVICON_SVG, { 'cache-control': 'max-age=86400' });
    } else if (path === '/metrics') {
      send(res, 200, exporter.contentType, await exporter.render());
    } else if (path === '/events') {
      // Each stream costs a JSON render every period: bound them (a forgotten tab loop, a scanner).
      if (clients.size >= MAX_SSE_CLIENTS) {
        send(res, 429, 'text/plain; charset=utf-8', 'too many live views; use /api/status\n');
        return;
      }
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      clients.add(res);
      counters.sse_clients = clients.size;
      req.on('close', () => {
        clients.delete(res);
        counters.sse_clients = clients.size;
      });
      const s = pageStatus();
      if (s.ok) res.write(`event: status\ndata: ${JSON.stringify(s.value)}\n\n`);
    } else {
      const m = /^\/snapshot\/([^/]+)\.jpg$/.exec(path);
      const snap = m && CAMERA_ID_RE.test(m[1]) ? snapshots.get(m[1]) : undefined;
      if (snap) send(res, 200, 'image/jpeg', snap.jpeg);
      else send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  return {
    async start() {
      if (server) return fail('status server already started');
      bus.on('camera.snapshot', OWNER, ({ camera, jpeg, ts }) => {
        if (CAMERA_ID_RE.test(camera)) snapshots.set(camera, { jpeg, ts: Math.round(ts > 1e11 ? ts : ts * 1000) });
        soon();
      });
      bus.on('pump.event', OWNER, (e) => {
        events.push({ at: Date.now(), event: e.event, from: e.from, to: e.to, reason: e.reason });
        if (events.length > maxEvents) events.splice(0, events.length - maxEvents);
        soon();
      });
      bus.on('pump.state', OWNER, (p) => {
        if (pumpStates.at(-1)?.state !== p.state) pumpStates.push({ at: Date.now(), state: p.state });
        if (pumpStates.length > MAX_STATE_CHANGES) pumpStates.splice(0, pumpStates.length - MAX_STATE_CHANGES);
      });
      for (const ev of ['pump.state', 'consensus.state', 'camera.status', 'mqtt.connection'] as const) bus.on(ev, OWNER, soon);

      const srv = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          log.error('status server request failed', { url: req.url, err });
          if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
          else res.end();
        });
      });
      const bound = await new Promise<Result<{ port: number }>>((resolve) => {
        srv.once('error', (err: NodeJS.ErrnoException) => resolve(fail(`status page cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}`)));
        srv.listen(config.port, config.host, () => {
          const a = srv.address();
          resolve(ok({ port: typeof a === 'object' && a ? a.port : config.port }));
        });
      });
      if (!bound.ok) {
        bus.removeOwner(OWNER);
        log.warn(`${bound.reason}; the node keeps running without it (fix http.port/http.host or disable http)`, {});
        return bound;
      }
      server = srv;
      // Errors after a successful bind (EMFILE...) are logged; they must never reach the process.
      srv.on('error', (err) => log.error('status server error', { err }));
      tick = setInterval(pushAll, period);
      tick.unref();
      log.info('status page listening', { url: `http://${config.host}:${bound.value.port}/` });
      return bound;
    },
    async stop() {
      bus.removeOwner(OWNER);
      if (tick) clearInterval(tick);
      if (pending) clearTimeout(pending);
      tick = pending = null;
      for (const c of clients) c.end();
      clients.clear();
      const srv = server;
      server = null;
      if (!srv) return;
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
    },
    metrics: () => ({ ...counters, requests: { ...requests } }),
  };
}
