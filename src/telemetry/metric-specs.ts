import { counter, gauge, MIB, type MetricSpecs } from '../core/metrics.js';

/** How telemetry's `metrics()` keys (and the systemd notifier's, prefixed `systemd_`) are exported. */
export const TELEMETRY_METRICS: MetricSpecs = {
  health_status: gauge('Node health: 0 ok, 1 degraded, 2 failed'),
  health: gauge('1 for the current health status (ok, degraded, failed), 0 for the others', { label: 'status' }),
  health_problems: gauge('Health problems now'),
  health_published: counter('Health messages published'),
  telemetry_published: counter('Telemetry messages published'),
  stats_failures: counter('System statistics reads that failed'),
  source_errors: counter('Part snapshots that threw while building health'),
  clock_synced: gauge('1 when the system clock is synchronised (NTP)'),
  clock_skew_seconds: gauge("This node's clock minus its peers' (median)"),
  clock_skew_peers: gauge('Peers the clock skew was measured against'),
  cpu_percent: gauge('CPU use of the machine, percent'),
  load1: gauge('1-minute load average'),
  mem_used_mb: gauge('Memory in use on the machine', { name: 'memory_used_bytes', scale: MIB }),
  rss_mb: gauge('Resident memory of this process', { name: 'resident_memory_bytes', scale: MIB }),
  disk_free_mb: gauge('Free space on the state directory filesystem', { name: 'disk_free_bytes', scale: MIB }),
  cpu_temp_c: gauge('CPU temperature', { name: 'cpu_temperature_celsius' }),
  systemd_sent: counter('sd_notify messages sent'),
  systemd_failed: counter('sd_notify messages that failed'),
  systemd_watchdog_pings: counter('systemd watchdog pings'),
};
