import { createAppBus, type AppBus } from '../../src/bus/index.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createConsensus, parseConsensusConfig, type ConsensusService } from '../../src/consensus/index.js';
import type { ConsensusState, DetectionMessage, TriggerMessage } from '../../src/topics/payloads.js';
import { FakeLink } from '../helpers/fake-link.js';

/**
 * Scenario harness in virtual time, in the notation of docs/scenarios-consensus.md: messages go through
 * the FakeLink (the same parse → handler path as the real MQTT core), triggers are read from what
 * the service publishes, and each trigger is attributed to the message (1-based) or timer that
 * produced it.
 */
export interface TriggerRecord {
  /** 1-based index of the message being processed, or 0 when the timer decided it. */
  msg: number;
  /** Virtual time in seconds. */
  at: number;
  payload: TriggerMessage;
}

/** Scenario runner. */
export class Scenario {
  readonly clock = new VirtualClock(1_764_200_000_000);
  readonly link = new FakeLink('cnode');
  readonly bus: AppBus = createAppBus();
  readonly log = memoryLogger('debug');
  readonly service: ConsensusService;
  readonly triggers: TriggerRecord[] = [];
  readonly busTriggers: TriggerMessage[] = [];
  readonly states: Array<ConsensusState & { decided?: TriggerMessage }> = [];
  /** Messages sent so far. */
  count = 0;
  synced = true;
  private seen = 0;
  private ids = 0;

  /**
   * `pumpAcks` (default true): a pump on this node's bus reports every trigger at once, as the real
   * pump does (issue 17), so the scenarios see no re-sends; false = no pump answers.
   */
  constructor(config: Record<string, unknown> = {}, opts: { modelThreshold?: number; pumpAcks?: boolean } = {}) {
    this.bus.on('trigger', 'test', (t) => {
      this.busTriggers.push(t);
      if (opts.pumpAcks !== false && t.id) {
        this.bus.emit('pump.trigger_ack', { v: 1, id: `ack-${t.id}`, node_id: 'pump-node', ts: this.clock.wallNow() / 1000, trigger_id: t.id, accepted: true, reason: null, zones: [] });
      }
    });
    this.bus.on('consensus.state', 'test', (s) => this.states.push(s));
    this.service = createConsensus({
      config: parseConsensusConfig(config),
      nodeId: 'cnode',
      logger: this.log,
      clock: this.clock,
      bus: this.bus,
      link: this.link,
      modelThreshold: opts.modelThreshold ?? 0.5,
      clockSynced: () => this.synced,
      idFactory: () => `trg-${++this.ids}`,
    });
    void this.service.start();
  }

  /** Current virtual time in seconds. */
  get t(): number {
    return this.clock.now() / 1000;
  }

  /** Move to absolute time `sec` (timers fire on the way; their triggers are attributed to msg 0). */
  at(sec: number): this {
    this.clock.advanceTo(Math.round(sec * 1000));
    this.collect(0);
    return this;
  }

  /** Advance by `sec`. */
  wait(sec: number): this {
    return this.at(this.t + sec);
  }

  /** Publish one inbound message (object, string or Buffer) on `topic`. */
  send(topic: string, payload: unknown): this {
    this.collect(0);
    this.count++;
    this.link.inject(topic, payload as object, { receivedAt: this.clock.wallNow() });
    this.collect(this.count);
    return this;
  }

  /** `det(cam, s)` of the scenarios: legacy message, box [0.1, 0.1, 0.1+s, 0.1+s]. */
  det(cam: string, s: number, extra: Record<string, unknown> = {}, topic = 'fire/detection'): this {
    return this.send(topic, { camera_id: cam, confidence: 0.85, bbox: [0.1, 0.1, 0.1 + s, 0.1 + s], ...extra });
  }

  /** `ar(cam, A)`: legacy message whose box area is exactly A. */
  ar(cam: string, a: number, extra: Record<string, unknown> = {}): this {
    return this.send('fire/detection', { camera_id: cam, confidence: 0.85, bbox: [0, 0, a, 1], ...extra });
  }

  /** A series of `det` messages `spacing` seconds apart (send, then wait). */
  dets(cam: string, sides: number[], extra: Record<string, unknown> = {}, spacing = 1, topic = 'fire/detection'): this {
    for (const s of sides) this.det(cam, s, extra, topic).wait(spacing);
    return this;
  }

  /** A series of `ar` messages. */
  ars(cam: string, areas: number[], extra: Record<string, unknown> = {}, spacing = 1): this {
    for (const a of areas) this.ar(cam, a, extra).wait(spacing);
    return this;
  }

  /** `G(cam)`: sides 0.10 … 0.15. */
  G(cam: string, extra: Record<string, unknown> = {}, spacing = 1): this {
    return this.dets(cam, G_SIDES, extra, spacing);
  }

  /** Own-format detection message. */
  own(cam: string, dets: Array<{ label?: string; score?: number; box: number[]; track?: number }>, extra: Record<string, unknown> = {}): this {
    return this.send(`fire/detection/${cam}`, ownMessage(cam, dets, extra));
  }

  /** Message indices of the triggers so far. */
  triggerMsgs(): number[] {
    return this.triggers.map((t) => t.msg);
  }

  /** Rejected-input counters. */
  rejected(): Record<string, number> {
    return this.service.metrics().rejected as Record<string, number>;
  }

  private collect(msg: number): void {
    const all = this.link.on('fire/trigger') as TriggerMessage[];
    for (; this.seen < all.length; this.seen++) {
      const payload = all[this.seen];
      // The decision time, from the payload (timers fire inside advanceTo, before we look).
      const at = Math.round(((payload.timestamp ?? 0) * 1000 - 1_764_200_000_000)) / 1000;
      this.triggers.push({ msg, at, payload });
    }
  }
}

/** Sides of `G`. */
export const G_SIDES = [0.1, 0.11, 0.12, 0.13, 0.14, 0.15];

let msgSeq = 0;
/** An own detection message (docs/topics.md) with a fresh id. */
export function ownMessage(cam: string, dets: Array<{ label?: string; score?: number; box: number[]; track?: number }>, extra: Record<string, unknown> = {}): DetectionMessage {
  // Extra fields (frame, node_id overrides, junk) are the test's business; the cast keeps call sites simple.
  return {
    v: 1,
    id: `m-${++msgSeq}`,
    node_id: 'camnode',
    ts: 0,
    camera_id: cam,
    model: { name: 'test', threshold: 0.5 },
    detections: dets.map((d) => ({ label: d.label ?? 'fire', score: d.score ?? 0.9, box: d.box, ...(d.track === undefined ? {} : { track: d.track }) })),
    ...extra,
  } as DetectionMessage;
}
