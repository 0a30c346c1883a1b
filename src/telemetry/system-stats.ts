import { cpus, freemem, loadavg, totalmem, uptime as osUptime } from 'node:os';
import { readFile, statfs } from 'node:fs/promises';
import type { TelemetryReading, ThrottledFlags } from '../topics/payloads.js';
import { runCommand, type CommandRunner } from './command.js';

/**
 * System statistics adapter for `system/<node>/telemetry` (docs/topics.md). Every Pi-specific source
 * (thermal zone, firmware throttling flags) is optional: absent on a dev machine, it reads `null`
 * instead of failing, so the same code runs everywhere. Paths are injectable for tests.
 */

// The reading is the `system/<node>/telemetry` payload body: its schema and types live with the
// other topics (src/topics/payloads.ts `telemetryReadingSchema`); the envelope is added at encode.
export type { TelemetryReading, ThrottledFlags };

/** Where the adapter reads from; `null` disables a source. */
export interface SystemStatsOptions {
  /** Filesystem for disk free/total; default `/`. */
  diskPath?: string;
  /** Millidegrees Celsius file; default `/sys/class/thermal/thermal_zone0/temp`. */
  thermalPath?: string | null;
  /** Firmware throttled file (hex without 0x); default the Raspberry Pi firmware sysfs node. */
  throttledPath?: string | null;
  /** `vcgencmd` binary used when the sysfs node is absent; default `vcgencmd`. */
  vcgencmd?: string | null;
  /** Command runner (tests inject a fake). */
  run?: CommandRunner;
  /** Process uptime in seconds; default `process.uptime()`. */
  processUptimeS?: () => number;
}

/** A system statistics reader. */
export interface SystemStats {
  /** One reading; never throws (each unavailable source reads null). */
  read(): Promise<TelemetryReading>;
}

const BITS_NOW: Array<[number, string]> = [
  [0, 'under_voltage'],
  [1, 'arm_frequency_capped'],
  [2, 'throttled'],
  [3, 'soft_temperature_limit'],
];

/** Decode the firmware's throttled bit field (bits 16–19 mirror bits 0–3 as "has occurred"). */
export function decodeThrottled(value: number): ThrottledFlags {
  return {
    raw: `0x${value.toString(16)}`,
    now: BITS_NOW.filter(([b]) => (value & (1 << b)) !== 0).map(([, n]) => n),
    since_boot: BITS_NOW.filter(([b]) => (value & (1 << (b + 16))) !== 0).map(([, n]) => n),
  };
}

/** Parse `throttled=0x50000` (vcgencmd) or `50000` (sysfs, hex without prefix). */
export function parseThrottled(text: string): ThrottledFlags | null {
  const m = /^(?:throttled=)?(?:0x)?([0-9a-f]+)$/i.exec(text.trim());
  if (!m) return null;
  const v = Number.parseInt(m[1], 16);
  return Number.isFinite(v) ? decodeThrottled(v) : null;
}

const MB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

function cpuTotals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

async function readText(path: string | null | undefined): Promise<string | null> {
  if (!path) return null;
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // absent on non-Pi hosts: the field reads null (documented above)
  }
}

/** Build the reader. CPU % is measured between consecutive reads (the first read: since creation). */
export function createSystemStats(opts: SystemStatsOptions = {}): SystemStats {
  const run = opts.run ?? runCommand;
  const thermalPath = opts.thermalPath === undefined ? '/sys/class/thermal/thermal_zone0/temp' : opts.thermalPath;
  const throttledPath = opts.throttledPath === undefined ? '/sys/devices/platform/soc/soc:firmware/get_throttled' : opts.throttledPath;
  const vcgencmd = opts.vcgencmd === undefined ? 'vcgencmd' : opts.vcgencmd;
  const procUptime = opts.processUptimeS ?? (() => process.uptime());
  let prev = cpuTotals();
  // Once vcgencmd is known to be missing, stop spawning it every minute.
  let vcgencmdMissing = false;

  async function throttled(): Promise<ThrottledFlags | null> {
    const sys = await readText(throttledPath);
    if (sys !== null) return parseThrottled(sys);
    if (!vcgencmd || vcgencmdMissing) return null;
    const r = await run(vcgencmd, ['get_throttled'], 2000);
    if (!r.ok) {
      vcgencmdMissing = true;
      return null;
    }
    return parseThrottled(r.value);
  }

  async function disk(): Promise<{ free: number | null; total: number | null }> {
    try {
      const s = await statfs(opts.diskPath ?? '/');
      return { free: round1((s.bavail * s.bsize) / MB), total: round1((s.blocks * s.bsize) / MB) };
    } catch {
      return { free: null, total: null };
    }
  }

  return {
    async read() {
      const cur = cpuTotals();
      const dTotal = cur.total - prev.total;
      const cpu = dTotal > 0 ? round1(100 * (1 - (cur.idle - prev.idle) / dTotal)) : null;
      prev = cur;
      const [tempText, thr, d] = await Promise.all([readText(thermalPath), throttled(), disk()]);
      const milli = tempText === null ? NaN : Number.parseInt(tempText.trim(), 10);
      return {
        cpu_percent: cpu,
        load1: Math.round(loadavg()[0] * 100) / 100,
        mem_used_mb: round1((totalmem() - freemem()) / MB),
        mem_total_mb: round1(totalmem() / MB),
        rss_mb: round1(process.memoryUsage.rss() / MB),
        disk_free_mb: d.free,
        disk_total_mb: d.total,
        cpu_temp_c: Number.isFinite(milli) ? round1(milli / 1000) : null,
        uptime_s: Math.round(procUptime()),
        os_uptime_s: Math.round(osUptime()),
        throttled: thr,
      };
    },
  };
}
