import type { Clock, TimerHandle } from '../core/clock.js';
import { backoffDelayMs } from '../core/backoff.js';
import type { Random } from '../core/random.js';
import type { Logger } from '../log/logger.js';
import { redactWebhookUrl, type WebhookConfig } from './config.js';

/**
 * One webhook endpoint: a bounded FIFO drained by a single async loop, so a slow or dead endpoint
 * costs memory bounded by `queueSize` and never blocks the control plane (the bus listener only
 * enqueues). Each request has its own timeout; network errors, timeouts, 5xx, 408 and 429 are
 * retried with exponential backoff and jitter; other 4xx give up at once (a wrong URL or token
 * does not fix itself). Giving up is logged and counted.
 */

/** Outcome of one POST. */
export type PostResult = { ok: true; status: number } | { ok: false; reason: string };

/** Sends one JSON POST; aborted via `signal` on timeout or shutdown. Injected in tests. */
export type HttpPost = (url: string, body: string, headers: Record<string, string>, signal: AbortSignal) => Promise<PostResult>;

/** The real POST, on Node's fetch. */
export const fetchPost: HttpPost = async (url, body, headers, signal) => {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, signal, redirect: 'error' });
    // Only the status matters. Reading the body whole let a receiver answer with 1.5 GB (the abort
    // did not stop a fast read): cancel it instead, the socket is simply not reused.
    await res.body?.cancel().catch(() => undefined);
    return { ok: true, status: res.status };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, reason: signal.aborted ? 'timeout' : (e.cause?.code ?? e.message) };
  }
};

/** Counters shared by every sender of a notifier. */
export interface SenderCounters {
  sent: number;
  failed: number;
  retries: number;
  dropped: number;
}

/** Sender options. */
export interface SenderOptions {
  config: WebhookConfig;
  queueSize: number;
  retryBaseMs: number;
  retryMaxMs: number;
  clock: Clock;
  random: Random;
  logger: Logger;
  post: HttpPost;
  userAgent: string;
  counters: SenderCounters;
}

/** A queued delivery. */
interface Job {
  kind: string;
  body: string;
}

/** Exponential backoff with jitter in [½, 1] of the step (the core's equal jitter), so retries never synchronise across nodes. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: Random): number {
  return Math.max(1, backoffDelayMs(attempt, { baseMs, capMs: maxMs, random, jitter: 'equal' }));
}

const retryable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/** One endpoint's queue and delivery loop. */
export class WebhookSender {
  private readonly queue: Job[] = [];
  private busy = false;
  private closed = false;
  private inflight: AbortController | null = null;
  private sleeping: { timer: TimerHandle; wake: () => void } | null = null;
  private readonly where: string;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: SenderOptions) {
    this.where = redactWebhookUrl(o.config.url);
  }

  /** Queue one notification (fire-and-forget). Drops the oldest when full. */
  enqueue(kind: string, body: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.o.queueSize) {
      const old = this.queue.shift();
      this.o.counters.dropped++;
      if (this.o.counters.dropped === 1 || this.o.counters.dropped % 100 === 0) {
        this.o.logger.warn('notification queue full: oldest dropped', { webhook: this.where, dropped_kind: old?.kind, dropped_total: this.o.counters.dropped });
      }
    }
    this.queue.push({ kind, body });
    if (!this.busy) void this.drain();
  }

  /** True when nothing is queued or in flight. */
  idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** Resolves when the queue has drained (at once when idle). */
  whenIdle(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop now: abort the request in flight, cancel a retry wait, drop (and count) the queue. */
  abort(): void {
    this.closed = true;
    this.o.counters.dropped += this.queue.length;
    this.queue.length = 0;
    this.inflight?.abort();
    if (this.sleeping) {
      this.sleeping.timer.cancel();
      this.sleeping.wake();
    }
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const job = this.queue.shift() as Job;
        await this.deliver(job);
      }
    } finally {
      this.busy = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async deliver(job: Job): Promise<void> {
    const { config, counters, logger } = this.o;
    let last = '';
    for (let attempt = 0; attempt <= config.retries && !this.closed; attempt++) {
      if (attempt > 0) {
        counters.retries++;
        await this.sleep(retryDelayMs(attempt, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random));
        if (this.closed) break;
      }
      const r = await this.postOnce(job.body);
      if (r.ok && r.status >= 200 && r.status < 300) {
        counters.sent++;
        if (attempt > 0) logger.info('notification delivered after retries', { webhook: this.where, kind: job.kind, attempts: attempt + 1 });
        return;
      }
      last = r.ok ? `HTTP ${r.status}` : r.reason;
      if (r.ok && !retryable(r.status)) break;
    }
    counters.failed++;
    logger.error('notification not delivered; giving up', { webhook: this.where, kind: job.kind, last_error: last, closed: this.closed });
  }

  private async postOnce(body: string): Promise<PostResult> {
    const ac = new AbortController();
    this.inflight = ac;
    const timer = this.o.clock.setTimer(this.o.config.timeoutMs, () => ac.abort());
    try {
      const headers = { 'content-type': 'application/json', 'user-agent': this.o.userAgent, ...this.o.config.headers };
      const r = await this.o.post(this.o.config.url, body, headers, ac.signal);
      return ac.signal.aborted && !r.ok ? { ok: false, reason: this.closed ? 'shutdown' : `timeout after ${this.o.config.timeoutMs} ms` } : r;
    } finally {
      timer.cancel();
      this.inflight = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleeping = null;
        resolve();
      };
      this.sleeping = { timer: this.o.clock.setTimer(ms, wake), wake };
    });
  }
}
