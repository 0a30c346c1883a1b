import type { MetricSnapshot, MetricSpecs } from '../core/metrics.js';
import { fail, ok } from '../core/result.js';
import { createHttpServer, type HttpServer, type StatusSnapshot } from '../http/index.js';
import type { Telemetry } from '../telemetry/index.js';
import type { PartContext } from '../core/part.js';
import type { AppPart } from './part.js';

/** Options for {@link wireHttp}. */
export interface WireHttpOptions {
  ctx: PartContext;
  telemetry: Telemetry;
  /** Builds the page's snapshot from the parts (src/app/status.ts). */
  status: () => StatusSnapshot;
  /** Part name → metrics provider. */
  metrics: Record<string, () => MetricSnapshot>;
  /** Part name → its metric declarations. */
  metricSpecs: Record<string, MetricSpecs>;
  /**
   * Try the next ports when the configured one is taken (the demo: "8080 or the next free one").
   * Production binds exactly what is configured and reports a failure in health.
   */
  portSearch?: number;
}

/** The status page; a bind failure is reported in health and never stops the node (docs/design.md). */
export function wireHttp(opts: WireHttpOptions): { part: AppPart; url: () => string | null } {
  const { ctx, telemetry } = opts;
  const cfg = ctx.config.http;
  let server: HttpServer | null = null;
  let url: string | null = null;
  const log = ctx.logger.child('http');
  const part: AppPart = {
    name: 'http',
    critical: false,
    async start() {
      const tries = Math.max(1, (opts.portSearch ?? 0) + 1);
      let last = 'not started';
      for (let i = 0; i < tries; i++) {
        const port = cfg.port === 0 ? 0 : cfg.port + i;
        const s = createHttpServer({ config: { ...cfg, port }, logger: log, bus: ctx.bus, status: opts.status, metrics: opts.metrics, metricSpecs: opts.metricSpecs });
        const r = await s.start();
        if (r.ok) {
          server = s;
          url = `http://${cfg.host}:${r.value.port}/`;
          telemetry.reportListener('http', { ok: true });
          return ok(undefined);
        }
        last = r.reason;
      }
      telemetry.reportListener('http', { ok: false, reason: last });
      return fail(last);
    },
    async stop() {
      await server?.stop();
    },
    status: () => ({ url }),
    metrics: () => server?.metrics() ?? {},
  };
  return { part, url: () => url };
}
