import type { Clock, TimerHandle } from '../core/clock.js';
import { repeatEvery } from '../core/repeat.js';
import type { MetricSnapshot } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import { runCommand, type CommandRunner } from './command.js';

/**
 * systemd integration (deploy/wildfire-edge.service: Type=notify, WatchdogSec, NotifyAccess=all).
 *
 * Node cannot send on a unix datagram socket without a native module, so messages go through
 * the `systemd-notify` binary. The unit sets `NotifyAccess=all` because the sender is then a child
 * process, not the main PID. `systemd-notify` (systemd ≥ 246; bookworm has 252, trixie 257) waits
 * for the manager to process the message before exiting (sd_notify_barrier), which removes the
 * old race where a short-lived sender could not be attributed to the unit.
 *
 * The watchdog keep-alive is driven by a timer on the **main thread** (the injected Clock): if the
 * event loop hangs — the thread that also runs the pump timers and the heartbeat of docs/pump.md Safety
 * 7 — pings stop and systemd kills and restarts the service, after which the boot rule (all
 * outputs off first) takes over. Interval: half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3)
 * recommends. Without `NOTIFY_SOCKET` (not started by systemd) every call is a no-op.
 */

/** Options for {@link createSystemdNotifier}. */
export interface SystemdNotifierOptions {
  logger: Logger;
  clock: Clock;
  /** Environment to read NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID from; default process.env. */
  env?: Record<string, string | undefined>;
  /** Command runner (tests inject a fake); default execFile. */
  run?: CommandRunner;
  /** Binary; default `systemd-notify`. */
  binary?: string;
  /** Our pid, compared with WATCHDOG_PID; default process.pid. */
  pid?: number;
}

/** The notifier. All methods are safe to call without systemd (no-ops). */
export interface SystemdNotifier {
  /** True when NOTIFY_SOCKET is set. */
  readonly enabled: boolean;
  /** Keep-alive interval in ms (WATCHDOG_USEC / 2), or null when no watchdog is configured for us. */
  readonly watchdogIntervalMs: number | null;
  /** Send READY=1 (after the parts started) and start the watchdog keep-alive. */
  ready(status?: string): Promise<void>;
  /** Send a free-text STATUS= line (shown by `systemctl status`). */
  status(text: string): Promise<void>;
  /** Stop the keep-alive and send STOPPING=1 (at the start of shutdown). */
  stopping(): Promise<void>;
  /** Cancel the keep-alive timer without notifying. Idempotent. */
  stop(): void;
  /** Counters: messages sent and failed, watchdog pings. */
  metrics(): MetricSnapshot;
}

const TIMEOUT_MS = 5000;

/** Build the notifier from the environment systemd gives a Type=notify service. */
export function createSystemdNotifier(opts: SystemdNotifierOptions): SystemdNotifier {
  const env = opts.env ?? process.env;
  const run = opts.run ?? runCommand;
  const binary = opts.binary ?? 'systemd-notify';
  const log = opts.logger;
  const enabled = !!env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const wdPid = env.WATCHDOG_PID ? Number(env.WATCHDOG_PID) : null;
  // WATCHDOG_PID names the process the watchdog is meant for; if it is another one, do not ping.
  const forUs = wdPid === null || wdPid === (opts.pid ?? process.pid);
  const watchdogIntervalMs = enabled && forUs && Number.isFinite(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null;
  const counters = { sent: 0, failed: 0, watchdog_pings: 0 };
  let timer: TimerHandle | null = null;
  let failingSince: string | null = null;

  async function send(...assignments: string[]): Promise<boolean> {
    if (!enabled) return false;
    // The child must see the socket we were given (the env may be injected, not process.env).
    const r = await run(binary, assignments, TIMEOUT_MS, { NOTIFY_SOCKET: env.NOTIFY_SOCKET });
    if (r.ok) {
      counters.sent++;
      if (failingSince) log.info('systemd-notify works again', { after: failingSince });
      failingSince = null;
      return true;
    }
    counters.failed++;
    // Log the first failure of a streak only: a missing binary would otherwise log every 15 s.
    if (!failingSince) {
      failingSince = assignments.join(' ');
      log.error('systemd-notify failed; systemd may consider the service hung and restart it', { reason: r.reason });
    }
    return false;
  }

  function armWatchdog(): void {
    if (watchdogIntervalMs === null || timer) return;
    timer = repeatEvery(
      opts.clock,
      watchdogIntervalMs,
      () => {
        counters.watchdog_pings++;
        void send('WATCHDOG=1');
      },
      { rearm: 'before' },
    );
  }

  function stop(): void {
    timer?.cancel();
    timer = null;
  }

  if (!enabled) log.debug('NOTIFY_SOCKET not set: systemd notifications disabled', {});

  return {
    enabled,
    watchdogIntervalMs,
    async ready(status) {
      if (!enabled) return;
      await send('READY=1', ...(status ? [`STATUS=${status}`] : []));
      armWatchdog();
      log.info('systemd notified READY', { watchdogIntervalMs });
    },
    async status(text) {
      await send(`STATUS=${text}`);
    },
    async stopping() {
      stop();
      await send('STOPPING=1');
    },
    stop,
    metrics: () => ({ ...counters }),
  };
}
