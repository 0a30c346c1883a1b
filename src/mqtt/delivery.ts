import type { Clock } from '../core/clock.js';
import { bump, type MetricSnapshot } from '../core/metrics.js';
import type { Logger } from '../log/logger.js';
import type { Outbox } from './outbox.js';
import { toWire } from './topic-rules.js';
import type { PublishOutcome, WireConnection } from './wire-client.js';

/**
 * Sending on the current connection (docs/mqtt-core.md "Delivery", docs/topics.md "Presence and last-value
 * topics"): the ordered outbox replay with an in-flight window, retained last values republished
 * once after the replay, QoS 0 only while connected. A connection is attached only while the
 * machine is CONNECTED and detached on the first sign of loss, so nothing is written to a
 * half-open or closing connection; what was in flight stays in the outbox and is re-sent.
 */

/** Options of {@link Delivery}. */
export interface DeliveryOptions {
  outbox: Outbox;
  clock: Clock;
  logger: Logger;
  prefix: string;
  maxInflight: number;
  /** True when the broker speaks MQTT 5 (message-expiry property supported). */
  messageExpiry: () => boolean;
}

interface LastValue {
  buf: Buffer;
  qos: 0 | 1;
}

/** The sender. */
export class Delivery {
  private conn: WireConnection | undefined;
  /** Newest outbox seq queued when the connection came up; last values go out once it is acked. */
  private barrier: number | undefined;
  private readonly lastValues = new Map<string, LastValue>();
  private scheduled = false;
  private retainedInflight = 0;
  private drainWaiters: Array<() => void> = [];
  private readonly counts = { sent: 0, qos0Sent: 0, qos0Dropped: 0, lastValuesSent: 0, retainedSent: 0 };
  private readonly refused: Record<string, number> = {};

  constructor(private readonly opts: DeliveryOptions) {}

  /** Start sending on `conn` (just CONNACKed). */
  attach(conn: WireConnection): void {
    this.conn = conn;
  }

  /** Stop sending at once (connection lost or closing). */
  detach(): void {
    this.conn = undefined;
    this.barrier = undefined;
    this.retainedInflight = 0;
    this.notifyDrain();
  }

  /** Begin the ordered replay; last values follow once everything queued so far is acknowledged. */
  startReplay(): void {
    this.barrier = this.opts.outbox.lastSeq;
    this.pump();
  }

  /**
   * Coalesce many notifications (entries became durable, PUBACKs parsed from one socket read) into
   * one pump on the next turn of the event loop, so a window of messages goes out in one socket
   * write instead of one syscall per message.
   */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** QoS 0: sent when connected, otherwise dropped and counted (never queued). */
  sendQos0(wireTopic: string, buf: Buffer): void {
    if (this.conn?.usable) {
      this.conn.publish0(wireTopic, buf, false);
      this.counts.qos0Sent++;
    } else this.counts.qos0Dropped++;
  }

  /** Remember a last value; send it now unless disconnected or the replay is still running. */
  setLastValue(wireTopic: string, buf: Buffer, qos: 0 | 1): void {
    this.lastValues.set(wireTopic, { buf, qos });
    if (this.conn?.usable && this.barrier === undefined) this.sendRetained(wireTopic, buf, qos);
  }

  /** Send one retained message directly (bypasses the outbox). */
  sendRetained(wireTopic: string, buf: Buffer, qos: 0 | 1): void {
    const c = this.conn;
    if (!c?.usable) return;
    this.counts.retainedSent++;
    if (qos === 0) return c.publish0(wireTopic, buf, true);
    this.retainedInflight++;
    c.publish1(wireTopic, buf, true, undefined, (o) => {
      if (c !== this.conn) return;
      this.retainedInflight--;
      if (o.kind === 'refused') this.onRefused(wireTopic, o);
      this.notifyDrain();
    });
  }

  /** Send ready outbox messages in order while the in-flight window allows. */
  pump(): void {
    const c = this.conn;
    if (!c) return;
    c.batch(() => this.fill(c));
    this.checkBarrier();
    this.notifyDrain();
  }

  private fill(c: WireConnection): void {
    const ob = this.opts.outbox;
    // Never more in flight than the broker accepts (MQTT 5 Receive Maximum, §3.3.4).
    const window = Math.min(this.opts.maxInflight, c.receiveMaximum);
    while (c.usable && ob.inflightCount < window) {
      const now = this.opts.clock.wallNow();
      const e = ob.takeNext(now);
      if (!e) break;
      const seq = e.rec.seq;
      let expiry: number | undefined;
      // MQTT 5 message expiry: the remaining lifetime, so a queued start cannot fire late.
      if (e.rec.expiresAt !== undefined && this.opts.messageExpiry()) expiry = Math.max(1, Math.ceil((e.rec.expiresAt - now) / 1000));
      c.publish1(toWire(this.opts.prefix, e.rec.topic), e.rec.payload, false, expiry, (o) => this.outcome(c, seq, e.rec.topic, o));
    }
  }

  private outcome(c: WireConnection, seq: number, topic: string, o: PublishOutcome): void {
    if (o.kind === 'lost') return; // stays in the outbox; requeued when the machine sees the loss
    if (o.kind === 'refused') this.onRefused(topic, o); // can never succeed: re-sending would loop forever
    else this.counts.sent++;
    // A PUBACK is true even from a connection that has since gone: the broker has the message.
    this.opts.outbox.ack(seq);
    if (c === this.conn) this.schedule();
    else this.notifyDrain();
  }

  private onRefused(topic: string, o: { code: number; reason: string }): void {
    bump(this.refused, String(o.code));
    this.opts.logger.error('broker refused a publish (check the broker ACL for this node)', { topic, code: o.code, reason: o.reason });
  }

  private checkBarrier(): void {
    if (this.barrier === undefined || !this.conn?.usable) return;
    const first = this.opts.outbox.firstSeq;
    if (first !== undefined && first <= this.barrier) return;
    this.barrier = undefined;
    for (const [t, v] of this.lastValues) {
      this.sendRetained(t, v.buf, v.qos);
      this.counts.lastValuesSent++;
    }
  }

  /** Resolves when the outbox is empty and retained sends are acked, `stillUp()` is false, or at `deadline`. */
  waitDrained(deadline: number, stillUp: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      let timer: { cancel(): void } | undefined;
      const finish = () => {
        timer?.cancel();
        this.drainWaiters = this.drainWaiters.filter((w) => w !== waiter);
        resolve();
      };
      const check = () => {
        const done = !stillUp() || !this.conn || (this.opts.outbox.depth === 0 && this.retainedInflight === 0) || this.opts.clock.now() >= deadline;
        if (done) finish();
        return done;
      };
      const waiter = () => void check();
      if (check()) return;
      this.drainWaiters.push(waiter);
      // The deadline timer ends the wait by itself: timers may fire a fraction of a millisecond before
      // clock.now() reaches the deadline, and re-checking the time then left close() waiting forever.
      timer = this.opts.clock.setTimer(Math.max(0, deadline - this.opts.clock.now()), finish);
    });
  }

  private notifyDrain(): void {
    for (const w of [...this.drainWaiters]) w();
  }

  /** Delivery counters for the metric snapshot. */
  metrics(): MetricSnapshot {
    return {
      sent_total: this.counts.sent,
      qos0_sent_total: this.counts.qos0Sent,
      qos0_dropped_offline_total: this.counts.qos0Dropped,
      retained_sent_total: this.counts.retainedSent,
      last_values_republished_total: this.counts.lastValuesSent,
      publish_refused_by_broker_total: { ...this.refused },
    };
  }
}
