import { z } from 'zod';

/**
 * `notify.*` config section (issue 7 "Notifications"): webhooks POSTed as JSON. The owner is not
 * home; this is how they learn about a fire, a pump run, a refused trigger, a pump ERROR, a dead
 * camera or a lost broker. Owned by src/notify.
 */

/** Notification categories a webhook can subscribe to. */
export const NOTIFY_EVENTS = ['fire', 'pump', 'blocked', 'error', 'camera', 'mqtt'] as const;
/** One category. */
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    // fetch refuses URLs with credentials: such a hook would only fail at the first real event.
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0 && !u.username && !u.password;
  } catch {
    return false;
  }
}

/** One webhook endpoint. */
export const webhookConfigSchema = z.strictObject({
  url: z.string().refine(isHttpUrl, 'must be an http:// or https:// URL without user:password@ (put credentials in headers, e.g. Authorization)').describe('Endpoint; tokens in the path/query are redacted in logs.'),
  events: z.array(z.enum(NOTIFY_EVENTS)).min(1).default([...NOTIFY_EVENTS]).describe('Categories sent to this endpoint (default: all).'),
  timeoutMs: z.number().int().min(50).max(120_000).default(5000).describe('Per-request timeout.'),
  retries: z.number().int().min(0).max(10).default(3).describe('Retries after the first attempt (network errors, timeouts, 5xx, 429).'),
  headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers (e.g. Authorization); never logged.'),
});
/** Parsed webhook entry. */
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

/** The `notify` section. */
export const notifyConfigSchema = z
  .strictObject({
    webhooks: z.array(webhookConfigSchema).default([]).describe('Webhook endpoints (none by default).'),
    queueSize: z.number().int().min(1).max(10_000).default(100).describe('Pending notifications kept per webhook; the oldest is dropped (and counted) when full.'),
    retryBaseMs: z.number().int().min(1).max(600_000).default(2000).describe('First retry delay; doubles each retry, with jitter.'),
    retryMaxMs: z.number().int().min(1).max(3_600_000).default(60_000).describe('Cap on one retry delay.'),
  })
  .prefault({});
/** Parsed `notify` section. */
export type NotifyConfig = z.infer<typeof notifyConfigSchema>;

/**
 * A webhook URL safe for logs: scheme, host and port only. Webhook secrets usually live in the path
 * (`/services/T0/B0/XXXX`) or query (`?token=`), not only in `user:pass@`, so both are hidden.
 */
export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.pathname !== '/' || u.search !== '' || u.username !== '' ? '/***' : '/';
    return `${u.protocol}//${u.host}${hidden}`;
  } catch {
    return '***';
  }
}
