import type { Clock, TimerHandle } from '../core/clock.js';
import type { TriggerMessage } from '../topics/payloads.js';

/**
 * End-to-end acknowledgement of triggers (issue 17). The MQTT outbox guarantees the broker took a
 * trigger, not that a pump got it: a pump whose link was down, or a broker that lost its queue,
 * leaves the trigger silently undelivered while consensus sits in its cooldown. So every trigger
 * stays pending here until a pump in its zone reports it (acted on or refused, `pump/<node>/trigger_ack`
 * or the local bus), and is re-published with the SAME id every `resendMs` until then (the pump
 * de-duplicates by id, so it runs once). A trigger that expires with no report is latched as
 * unacknowledged: health says so loudly and notify pages, until a later trigger is acknowledged.
 *
 * Pure: no I/O; one timer, owned by this object, armed only while something is pending.
 */

/** What a pump reported about a trigger. */
export interface TriggerAck {
  triggerId: string;
  /** Node id of the pump. */
  pump: string;
  accepted: boolean;
  reason: string | null;
  /** The pump's zones ([] = every zone). */
  zones: readonly string[];
}

/** Options of {@link TriggerAckTracker}. */
export interface TriggerAckOptions {
  clock: Clock;
  /** Re-publish period of an unacknowledged trigger, ms. */
  resendMs: number;
  /** Re-publish `payload` (same id), to expire in `remainingSeconds`. */
  resend(payload: TriggerMessage, remainingSeconds: number): void;
  /** A trigger expired and no pump in its zone reported it. */
  unacknowledged(payload: TriggerMessage, resends: number): void;
  /** First report of a pending trigger. */
  acknowledged?(ack: TriggerAck, afterMs: number, resends: number): void;
}

interface Pending {
  payload: TriggerMessage;
  sentAt: number;
  expiresAt: number;
  nextResendAt: number;
  resends: number;
}

/** Snapshot for health, the status page and metrics. */
export interface TriggerAckSnapshot {
  /** Triggers sent and not yet reported by a pump, oldest first. */
  pending: Array<{ id: string; ageS: number; resends: number }>;
  /** The last trigger that expired with no pump report (latched until a later trigger is acknowledged), or null. */
  unacknowledged: { id: string; ts: number | null; resends: number } | null;
  /** The last report received. */
  lastAck: { triggerId: string; pump: string; accepted: boolean; reason: string | null } | null;
}

/** True when a pump with `pumpZones` serves a trigger for `triggerZones` (same rule as the pump's admission). */
export function pumpServesZones(pumpZones: readonly string[], triggerZones: readonly string[] | undefined): boolean {
  if (!triggerZones || pumpZones.length === 0) return true;
  return triggerZones.some((z) => pumpZones.includes(z));
}

/** Bound on pending triggers (a consensus node decides a few per cooldown; this is only a guard). */
const MAX_PENDING = 64;

/** Pending triggers and their re-publication. */
export class TriggerAckTracker {
  private readonly pending = new Map<string, Pending>();
  private timer: TimerHandle | null = null;
  private unacked: TriggerAckSnapshot['unacknowledged'] = null;
  private lastAck: TriggerAckSnapshot['lastAck'] = null;
  /** Counters for metrics. */
  readonly counts = { resends: 0, acknowledged: 0, unacknowledged: 0, acks_ignored: 0 };

  constructor(private readonly o: TriggerAckOptions) {}

  /** A trigger was just published: track it until a pump reports it or it expires. */
  sent(payload: TriggerMessage): void {
    const id = payload.id;
    if (!id) return;
    const now = this.o.clock.now();
    const remainingMs = payload.expires_at !== undefined ? payload.expires_at * 1000 - this.o.clock.wallNow() : 0;
    if (remainingMs <= 0) return;
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    this.pending.set(id, { payload, sentAt: now, expiresAt: now + remainingMs, nextResendAt: now + this.o.resendMs, resends: 0 });
    this.arm();
  }

  /**
   * A pump's report. Counts only for a pending trigger and a pump serving its zones; returns true
   * when it settled a pending trigger.
   */
  ack(a: TriggerAck): boolean {
    const report = { triggerId: a.triggerId, pump: a.pump, accepted: a.accepted, reason: a.reason };
    const p = this.pending.get(a.triggerId);
    if (!p) {
      // A repeat report of a trigger already settled (a re-ack of a re-publish) only refreshes lastAck.
      if (this.lastAck?.triggerId === a.triggerId) this.lastAck = report;
      return false;
    }
    if (!pumpServesZones(a.zones, p.payload.zones)) {
      this.counts.acks_ignored++;
      return false;
    }
    this.pending.delete(a.triggerId);
    this.counts.acknowledged++;
    this.lastAck = report;
    this.unacked = null;
    this.o.acknowledged?.(a, this.o.clock.now() - p.sentAt, p.resends);
    this.arm();
    return true;
  }

  snapshot(): TriggerAckSnapshot {
    const now = this.o.clock.now();
    return {
      pending: [...this.pending].map(([id, p]) => ({ id, ageS: (now - p.sentAt) / 1000, resends: p.resends })),
      unacknowledged: this.unacked,
      lastAck: this.lastAck,
    };
  }

  /** Cancel the timer (pending triggers are forgotten: this process is stopping). */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.pending.clear();
  }

  private arm(): void {
    this.timer?.cancel();
    this.timer = null;
    let due = Number.POSITIVE_INFINITY;
    for (const p of this.pending.values()) due = Math.min(due, p.nextResendAt, p.expiresAt);
    if (due === Number.POSITIVE_INFINITY) return;
    this.timer = this.o.clock.setTimer(Math.max(0, due - this.o.clock.now()), () => {
      this.timer = null;
      this.fire();
    });
  }

  private fire(): void {
    const now = this.o.clock.now();
    for (const [id, p] of [...this.pending]) {
      if (now >= p.expiresAt) {
        this.pending.delete(id);
        this.counts.unacknowledged++;
        this.unacked = { id, ts: p.payload.ts ?? null, resends: p.resends };
        this.o.unacknowledged(p.payload, p.resends);
      } else if (now >= p.nextResendAt) {
        p.resends++;
        this.counts.resends++;
        p.nextResendAt = now + this.o.resendMs;
        this.o.resend(p.payload, Math.max(1, Math.ceil((p.expiresAt - now) / 1000)));
      }
    }
    this.arm();
  }
}
