import { createHash } from 'node:crypto';
import { formatIssues, parseJson, parseJsonAs } from '../core/json.js';
import { emergencySchema, triggerSchema, type TriggerMessage } from '../topics/payloads.js';
import { commandRefusal, type TriggerRefusal } from '../topics/refusals.js';
import type { CommandAction } from './machine-types.js';

/**
 * Parsing and admission of `fire/trigger` and `fire/emergency` (docs/topics.md "Required on receipt",
 * "Time"; docs/pump.md Safety 8 and "Commands"). Parsers never throw and never reject at the link level:
 * they return a tagged value so the adapter can emit an event (and an ack) for a malformed message.
 */

/** A parsed trigger, or the reason it is malformed. */
export type ParsedTrigger = { ok: true; msg: TriggerMessage; id: string } | { ok: false; reason: string };

/** A parsed command, or why it was refused (with its id when one could be read, for the ack). */
export type ParsedCommand =
  | { ok: true; action: CommandAction; rawAction: string; id: string | null; ts: number | null; source: string | null; target: string | null }
  | { ok: false; reason: string; id: string | null; rawAction: string | null };

const ALIASES: Record<string, CommandAction> = {
  start: 'start',
  bypass_start: 'start',
  stop: 'stop',
  emergency_stop: 'stop',
  valve_open: 'valve_open',
  valve_close: 'valve_close',
  reset: 'reset',
  arm: 'arm',
  disarm: 'disarm',
};

/** Trigger id: its own `id`, else a hash of the payload (docs/topics.md). */
export function triggerId(msg: TriggerMessage, raw?: Buffer): string {
  if (msg.id) return msg.id;
  return 'sha256:' + createHash('sha256').update(raw ?? JSON.stringify(msg)).digest('hex').slice(0, 32);
}

/** Parse `fire/trigger`. */
export function parseTrigger(payload: Buffer): ParsedTrigger {
  // The core's JSON + schema parse; the pump names every such failure `malformed` (its refusal code).
  const r = parseJsonAs(payload, triggerSchema, Infinity);
  if (!r.ok) return { ok: false, reason: `${'malformed' satisfies TriggerRefusal}: ${r.reason}` };
  return { ok: true, msg: r.value, id: triggerId(r.value, payload) };
}

/** Parse `fire/emergency`: JSON with `action`/`command`, or plain-text `stop`/`emergency_stop` only. */
export function parseCommand(payload: Buffer): ParsedCommand {
  const text = payload.toString('utf8').trim();
  const parsed = parseJson(text);
  if (!parsed.ok) {
    // Plain text is accepted only in the safe direction (docs/pump.md "Commands").
    const t = text.toLowerCase();
    if (t === 'stop' || t === 'emergency_stop') return { ok: true, action: 'stop', rawAction: t, id: null, ts: null, source: null, target: null };
    return { ok: false, reason: commandRefusal('malformed', 'plain-text commands other than stop/emergency_stop are refused'), id: null, rawAction: text.slice(0, 32) };
  }
  const json = parsed.value;
  const obj = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const id = typeof obj.id === 'string' && obj.id.length > 0 && obj.id.length <= 128 ? obj.id : null;
  const rawAction = typeof obj.action === 'string' ? obj.action : typeof obj.command === 'string' ? obj.command : null;
  const r = emergencySchema.safeParse(json);
  if (!r.success) {
    const reason = rawAction && !(rawAction in ALIASES) ? commandRefusal('unknown_action', rawAction) : commandRefusal('malformed', `schema: ${formatIssues(r.error.issues, Infinity)}`);
    return { ok: false, reason, id, rawAction };
  }
  const act = (r.data.action ?? r.data.command) as string;
  return { ok: true, action: ALIASES[act], rawAction: act, id: r.data.id ?? null, ts: r.data.ts ?? null, source: r.data.source ?? null, target: r.data.target ?? null };
}

/** Options of the admission filter. */
export interface AdmissionOptions {
  zones: string[];
  triggerTtlSeconds: number;
  clockSynced: () => boolean;
  /** Wall clock, epoch ms. */
  wallNow: () => number;
  /** Monotonic clock, ms (for the de-duplication window). */
  now: () => number;
  /** How long ids are remembered (default 6 h) and how many (default 5000). */
  dedupeMs?: number;
  dedupeMax?: number;
}

/** Skew allowance on every expiry check (docs/topics.md "Time"). */
export const SKEW_S = 5;

/**
 * Decides whether a trigger may reach the machine: retained, duplicate, expired, outside-zones are
 * refused with a reason. Ids are remembered for a window, so a trigger that arrives both through
 * the bus and through MQTT runs once (docs/design.md "Local first").
 */
export class TriggerAdmission {
  private readonly seen = new Map<string, number>();

  constructor(private readonly o: AdmissionOptions) {}

  /** `null` = admit; otherwise the refusal reason. Admitted (and duplicate) ids are remembered. */
  check(msg: TriggerMessage, id: string, retained: boolean): TriggerRefusal | null {
    if (retained) return 'retained';
    this.prune();
    if (this.seen.has(id)) return 'duplicate';
    if (this.o.clockSynced()) {
      const exp = msg.expires_at ?? (msg.timestamp !== undefined ? msg.timestamp + this.o.triggerTtlSeconds : undefined);
      if (exp !== undefined && this.o.wallNow() / 1000 > exp + SKEW_S) return 'expired';
    }
    if (this.o.zones.length > 0 && msg.zones && !msg.zones.some((z) => this.o.zones.includes(z))) return 'outside_zones';
    this.seen.set(id, this.o.now());
    return null;
  }

  private prune(): void {
    const window = this.o.dedupeMs ?? 6 * 3600_000;
    const now = this.o.now();
    for (const [k, t] of this.seen) {
      if (now - t <= window && this.seen.size <= (this.o.dedupeMax ?? 5000)) break;
      this.seen.delete(k); // Map keeps insertion order: oldest first
    }
  }
}
