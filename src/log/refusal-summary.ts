import type { Clock, TimerHandle } from '../core/clock.js';

/**
 * Rate limit for refusal reports (issue 12 item 6): 100k junk messages made 29k log lines and 28k
 * durable pump events. Per key (e.g. `trigger:expired`) and interval: the first refusal is logged
 * at once, the first `eventsPerInterval` each get their own event, and everything beyond is only
 * counted; when the interval ends one summary (count) is reported for what was held back. So a
 * flood costs at most 2 log lines and `eventsPerInterval + 1` events per key per interval, while a
 * single refusal is still reported immediately. A timer exists only while a key has an open
 * window (no polling). Pure: clock injected.
 */

/** What to do with one refusal. */
export interface RefusalVerdict {
  /** Write the log line for this one. */
  log: boolean;
  /** Publish the individual event for this one. */
  event: boolean;
}

/** A summary of what was held back in one interval of one key. */
export interface RefusalSummaryReport {
  key: string;
  /** Refusals in the interval that got no log line of their own. */
  unlogged: number;
  /** Refusals in the interval that got no event of their own. */
  unevented: number;
  /** Every refusal of this key in the interval. */
  total: number;
  intervalMs: number;
}

/** Options of {@link RefusalSummary}. */
export interface RefusalSummaryOptions {
  clock: Clock;
  intervalMs: number;
  /** Individual events per key per interval before only the summary is sent. */
  eventsPerInterval: number;
  /** Distinct keys tracked at once; beyond it new keys share the key `other`. */
  maxKeys?: number;
  /** Called at the end of an interval in which something was held back. */
  onSummary(r: RefusalSummaryReport): void;
}

interface Window {
  total: number;
  events: number;
  timer: TimerHandle;
}

/** Per-key refusal rate limiter with periodic summaries. */
export class RefusalSummary {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly o: RefusalSummaryOptions) {}

  /** Record one refusal under `key`; says whether it gets its own log line and event. */
  admit(key: string): RefusalVerdict {
    if (!this.windows.has(key) && this.windows.size >= (this.o.maxKeys ?? 64)) key = 'other';
    let w = this.windows.get(key);
    if (!w) {
      const k = key;
      w = { total: 0, events: 0, timer: this.o.clock.setTimer(this.o.intervalMs, () => this.close(k)) };
      this.windows.set(key, w);
    }
    w.total++;
    const event = w.events < this.o.eventsPerInterval;
    if (event) w.events++;
    return { log: w.total === 1, event };
  }

  /** Report every open window now (shutdown), then forget them. */
  flush(): void {
    for (const k of [...this.windows.keys()]) this.close(k);
  }

  private close(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    this.windows.delete(key);
    w.timer.cancel();
    const unlogged = w.total - 1;
    const unevented = w.total - w.events;
    if (unlogged > 0 || unevented > 0) this.o.onSummary({ key, unlogged, unevented, total: w.total, intervalMs: this.o.intervalMs });
  }
}
