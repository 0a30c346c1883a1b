/**
 * The HTTP part's public surface: the only module other folders import (docs/style.md rule 1).
 * The server itself is in server.ts.
 */
export { httpConfigSchema, type HttpConfig } from './config.js';
export { createMetricsExporter, metricName, type MetricsExporter } from './prometheus.js';
export { escapeHtml, type PageEvent, type PageStatus, type StatusCamera, type StatusHealth, type StatusNode, type StatusSnapshot } from './status.js';
export { createHttpServer, type HttpServerOptions, type HttpServer } from './server.js';
export { createHttpPart, type HttpPart, type HttpPartOptions } from './part.js';
