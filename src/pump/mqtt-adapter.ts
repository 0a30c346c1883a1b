import type { AppBus } from '../bus/index.js';
import type { Clock } from '../core/clock.js';
import { createIdSource, stampEnvelope, type IdSource, type MessageEnvelope } from '../core/ids.js';
import { ok } from '../core/result.js';
import type { Logger } from '../log/logger.js';
import type { MqttLink } from '../mqtt/link.js';
import { topics } from '../topics/topics.js';
import type { PumpEvent, PumpStatePayload, TriggerMessage } from '../topics/payloads.js';
import { commandRefusal, type TriggerRefusal } from '../topics/refusals.js';
import { parseCommand, parseTrigger, triggerId, TriggerAdmission, SKEW_S, type ParsedCommand, type ParsedTrigger } from './inbound.js';
import type { CommandAction, HandleResult } from './machine-types.js';

const OWNER = 'pump';
/** A duplicate within this long of the last ack (the MQTT echo of a bus trigger) is not answered again. */
const REACK_MIN_MS = 2000;

/** Options of {@link PumpMqttAdapter}. */
export interface PumpMqttAdapterOptions {
  nodeId: string;
  clock: Clock;
  logger: Logger;
  link?: MqttLink;
  bus?: AppBus;
  /** The process's message-id source; default a new one. */
  ids?: IdSource;
  zones: string[];
  triggerTtlSeconds: number;
  commandExpirySeconds: number;
  clockSynced: () => boolean;
  /** An admitted trigger → the machine. */
  onTrigger(id: string, source: string): HandleResult;
  /** A valid command → the machine. */
  onCommand(action: CommandAction, source: string): HandleResult;
  /** A refusal before the machine (retained, duplicate, expired, malformed, outside zones). */
  onRefused(kind: 'trigger' | 'command', reason: string, extra: Record<string, unknown>): void;
}

/**
 * Thin adapter between the machine and the outside (docs/style.md rule 4): subscribes `fire/trigger`
 * and `fire/emergency` through the MqttLink, listens to the local bus `trigger` (works with the
 * broker down), admits or refuses, publishes state (retained last value), events and acks.
 */
export class PumpMqttAdapter {
  private readonly admission: TriggerAdmission;
  private readonly seenCommands = new Map<string, number>();
  /** Commands aimed at another node's pump (ignored). */
  otherTargets = 0;
  /** Triggers seen again by id (bus + MQTT echo, redeliveries): de-duplicated, not refused. */
  duplicates = 0;
  /** Trigger acks sent (first reports and repeats for re-sent triggers). */
  triggerAcks = 0;
  /** What was done with each recent trigger, so a re-sent one gets the same answer again (bounded). */
  private readonly outcomes = new Map<string, { accepted: boolean; reason: string | null; ackedAt: number }>();
  private readonly ids: IdSource;

  constructor(private readonly o: PumpMqttAdapterOptions) {
    this.ids = o.ids ?? createIdSource();
    this.admission = new TriggerAdmission({
      zones: o.zones,
      triggerTtlSeconds: o.triggerTtlSeconds,
      clockSynced: o.clockSynced,
      wallNow: () => o.clock.wallNow(),
      now: () => o.clock.now(),
    });
  }

  /** Subscribe. Parsers always succeed at the link level so malformed input still gets an event/ack. */
  start(): void {
    const { link, bus } = this.o;
    link?.subscribe<ParsedTrigger>(topics.trigger, OWNER, (p) => ok(parseTrigger(p)), (t, meta) => {
      if (!t.ok) this.o.onRefused('trigger', 'malformed' satisfies TriggerRefusal, { detail: t.reason, via: 'mqtt' });
      else this.trigger(t.msg, t.id, meta.retained, 'mqtt');
    });
    link?.subscribe<ParsedCommand>(topics.emergency, OWNER, (p) => ok(parseCommand(p)), (c, meta) => this.command(c, meta.retained));
    bus?.on('trigger', OWNER, (msg: TriggerMessage) => this.trigger(msg, triggerId(msg), false, 'bus'));
  }

  /** Unsubscribe everything this adapter owns. */
  stop(): void {
    this.o.link?.unsubscribeOwner(OWNER);
    this.o.bus?.removeOwner(OWNER);
  }

  private trigger(msg: TriggerMessage, id: string, retained: boolean, via: string): void {
    const refusal = this.admission.check(msg, id, retained);
    // A trigger seen again (the local bus and its MQTT echo, an at-least-once redelivery) is the
    // de-duplication working, not a refusal: no event, no refused count, no page row, no alert.
    if (refusal === 'duplicate') {
      this.duplicates++;
      this.o.logger.debug('trigger already seen (de-duplicated)', { trigger_id: id, via });
      // A re-sent trigger means consensus has not heard our ack (lost, or our link was down when
      // we sent it): answer again, the same as the first time. The MQTT echo of a trigger that came
      // over the bus a moment ago needs no second answer.
      const o = this.outcomes.get(id);
      if (o && this.o.clock.now() - o.ackedAt >= REACK_MIN_MS) this.triggerAck(id, o.accepted, o.reason);
      return;
    }
    if (refusal) {
      this.o.onRefused('trigger', refusal, { trigger_id: id, via, zones: msg.zones ?? null });
      // Expired: we got it and refused it, consensus should know. Retained and outside-zones
      // triggers were never meant for this pump now: no answer.
      if (refusal === 'expired') this.triggerAck(id, false, refusal);
      return;
    }
    const r = this.o.onTrigger(id, via);
    this.triggerAck(id, r.accepted, r.reason);
  }

  /** `pump/<node>/trigger_ack` (QoS 1) and the bus, so a consensus on this node hears it with the broker down. */
  private triggerAck(triggerId: string, accepted: boolean, reason: string | null): void {
    this.outcomes.set(triggerId, { accepted, reason, ackedAt: this.o.clock.now() });
    if (this.outcomes.size > 2000) this.outcomes.delete(this.outcomes.keys().next().value as string);
    this.triggerAcks++;
    const payload = { ...this.envelope(), trigger_id: triggerId, accepted, reason, zones: [...this.o.zones] };
    this.o.bus?.emit('pump.trigger_ack', payload);
    this.o.link?.publish(topics.pumpTriggerAck(this.o.nodeId), payload, { qos: 1, priority: 1, expirySeconds: this.o.triggerTtlSeconds });
  }

  private command(c: ParsedCommand, retained: boolean): void {
    // Aimed at another pump (a Home Assistant button of that node): not ours, so neither acted on,
    // refused nor acknowledged; that pump answers.
    if (c.ok && c.target !== null && c.target !== this.o.nodeId) {
      this.otherTargets++;
      return;
    }
    const action = c.rawAction ?? 'unknown';
    let reason: string | null = null;
    if (!c.ok) reason = c.reason;
    else if (retained) reason = commandRefusal('retained'); // docs/topics.md: a retained fire/emergency is never acted on
    else if (c.id && this.seenCommands.has(c.id)) reason = commandRefusal('duplicate');
    else if (c.ts !== null && this.o.clockSynced()) {
      const age = this.o.clock.wallNow() / 1000 - c.ts;
      if (age > this.o.commandExpirySeconds + SKEW_S) reason = commandRefusal('expired');
      // A ts from the future (or in milliseconds, which reads as the far future) would never expire.
      else if (-age > SKEW_S) reason = commandRefusal('future_timestamp');
    }
    if (c.ok && c.id) this.rememberCommand(c.id);
    if (reason !== null || !c.ok) {
      this.o.onRefused('command', reason ?? commandRefusal('malformed'), { action, command_id: c.id });
      if (c.id) this.ack(c.id, action, false, reason);
      return;
    }
    const r = this.o.onCommand(c.action, c.source ?? 'mqtt');
    if (c.id) this.ack(c.id, action, r.accepted, r.reason);
  }

  private rememberCommand(id: string): void {
    this.seenCommands.set(id, this.o.clock.now());
    if (this.seenCommands.size > 2000) this.seenCommands.delete(this.seenCommands.keys().next().value as string);
  }

  /** `pump/<node>/ack` (qos 1): wire only, so the MQTT core adds the envelope at encode. */
  ack(commandId: string, action: string, accepted: boolean, reason: string | null): void {
    this.o.link?.publish(topics.pumpAck(this.o.nodeId), { command_id: commandId, action, accepted, reason }, { qos: 1 });
  }

  /** Retained state (setLastValue) and bus `pump.state`. */
  publishState(state: PumpStatePayload): void {
    this.o.link?.setLastValue(topics.pumpState(this.o.nodeId), state, { qos: 1 });
    this.o.bus?.emit('pump.state', state);
  }

  /** `pump/<node>/event` (qos 1) and bus `pump.event`. */
  publishEvent(e: PumpEvent): void {
    const payload = { ...this.envelope(), ...e };
    this.o.link?.publish(topics.pumpEvent(this.o.nodeId), payload, { qos: 1 });
    this.o.bus?.emit('pump.event', payload);
  }

  /**
   * The envelope (docs/topics.md) of a message that travels both the bus and the wire (state, events,
   * trigger acks: their bus consumers read `node_id`, and notify passes events on whole), stamped
   * once from the process's id source so both copies carry the same id. Wire-only messages leave
   * it to the MQTT core's encode.
   */
  envelope(): MessageEnvelope {
    return stampEnvelope(this.ids, this.o.nodeId, this.o.clock.wallNow());
  }
}
