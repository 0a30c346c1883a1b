import type { Clock } from '../core/clock.js';
import { bump, type MetricSnapshot } from '../core/metrics.js';
import type { ConnectionState } from './link.js';

/**
 * Connection counters of the core (docs/mqtt-core.md "Presence and events": connects, disconnects,
 * connect failures by reason, current state and time in it, uptime ratio, last error). Pure: fed
 * by the core, time from the injected Clock.
 */
export class ConnectionStats {
  connects = 0;
  disconnects = 0;
  failedEntered = 0;
  /** Connect failures by reason label (`connack_134`, `econnrefused`, `tls`, `connect_timeout`...). */
  readonly failures: Record<string, number> = {};
  /** CONNACK refusals by MQTT reason code. */
  readonly refusals: Record<string, number> = {};
  lastError: { reason: string; at: number } | undefined;
  private state: ConnectionState = 'DISCONNECTED';
  private since: number;
  private readonly startedAt: number;
  private connectedMs = 0;

  constructor(private readonly clock: Clock) {
    this.since = clock.now();
    this.startedAt = this.since;
  }

  /** Record a transition. */
  transition(to: ConnectionState): void {
    const now = this.clock.now();
    if (this.state === 'CONNECTED') this.connectedMs += now - this.since;
    if (to === 'CONNECTED') this.connects++;
    if (this.state === 'CONNECTED' && to !== 'CONNECTED') this.disconnects++;
    if (to === 'FAILED') this.failedEntered++;
    this.state = to;
    this.since = now;
  }

  /** Record a failed attempt with its metric label and human reason. */
  failure(code: string, reason: string): void {
    bump(this.failures, code);
    const m = /^connack_(\d+)$/.exec(code);
    if (m) bump(this.refusals, m[1]);
    this.lastError = { reason, at: this.clock.wallNow() };
  }

  /** Fraction of time since creation spent CONNECTED. */
  uptimeRatio(): number {
    const now = this.clock.now();
    const total = now - this.startedAt;
    const connected = this.connectedMs + (this.state === 'CONNECTED' ? now - this.since : 0);
    return total > 0 ? connected / total : 0;
  }

  /** Seconds in the current state. */
  stateSeconds(): number {
    return (this.clock.now() - this.since) / 1000;
  }

  /** Connection part of the metric snapshot. */
  snapshot(): MetricSnapshot {
    const states: ConnectionState[] = ['DISCONNECTED', 'CONNECTING', 'CONNECTED', 'RECONNECTING', 'FAILED'];
    return {
      state: Object.fromEntries(states.map((s) => [s, s === this.state ? 1 : 0])),
      state_seconds: this.stateSeconds(),
      uptime_ratio: this.uptimeRatio(),
      connects_total: this.connects,
      disconnects_total: this.disconnects,
      failed_total: this.failedEntered,
      connect_failures_total: { ...this.failures },
      connack_refusals_total: { ...this.refusals },
      last_error_timestamp_seconds: this.lastError ? this.lastError.at / 1000 : 0,
    };
  }
}
