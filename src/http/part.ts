import type { MetricSnapshot, MetricSpecs } from '../core/metrics.js';
import { fail, ok } from '../core/result.js';
import type { Part, PartContext } from '../core/part.js';
import type { Telemetry } from '../telemetry/index.js';
import { createHttpServer, type HttpServer } from './server.js';
import type { StatusSnapshot } from './status.js';

/** The status page part; its status is the URL once bound. */
export interface HttpPart extends Part<{ url: string | null }> {
  /** The status page URL once bound, else null. */
  url(): string | null;
}

/** What the status page part needs besides the context. */
export interface HttpPartOptions {
  /** Where the bind outcome is reported (health's listeners). */
  telemetry: Pick<Telemetry, 'reportListener'>;
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
export function createHttpPart(ctx: PartContext, opts: HttpPartOptions): HttpPart {
  const { telemetry } = opts;
  const cfg = ctx.config.http;
  let server: HttpServer | null = null;
  let url: string | null = null;
  const log = ctx.logger.child('http');
  return {
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
    url: () => url,
  };
}
