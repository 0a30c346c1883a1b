import type {
  CameraStatus,
  ConsensusState,
  DetectionMessage,
  PumpEvent,
  PumpStatePayload,
  TriggerAckPayload,
  TriggerMessage,
} from '../topics/payloads.js';
import type { ConnectionState } from '../mqtt/link.js';
import { Bus } from './bus.js';
import type { Logger } from '../log/logger.js';

/**
 * The in-process events between parts of one node (docs/design.md "Local first"). Each entry is one
 * message type with its producer → consumers.
 */
export interface AppEvents {
  /**
   * Local detector → local consensus (also published on `fire/detection/<camera>` by the detector's
   * adapter): `message` is the wire message as published (same id); `capturedAtMs` is the frame's
   * capture time in wall ms, absent while this node's clock is unsynchronised. In-process consumers
   * use it: the wire's `frame.captured_at` is its seconds, converted once when the message is built.
   */
  detections: { camera: string; message: DetectionMessage; capturedAtMs?: number };
  /** Local consensus → local pump, even with the broker down. The pump de-duplicates by `id`. */
  trigger: TriggerMessage;
  /** Local capture → consensus (voting), telemetry, status page. */
  'camera.status': { camera: string; status: CameraStatus };
  /** Evidence snapshot JPEG taken for a detection → status page. */
  'camera.snapshot': { camera: string; jpeg: Buffer; ts: number };
  /** Consensus → telemetry, status page, notify. `decided` is set when this change is a new trigger. */
  'consensus.state': ConsensusState & { decided?: TriggerMessage };
  /** Pump → telemetry, status page, notify (the payload published on `pump/<node>/state`). */
  'pump.state': PumpStatePayload;
  /** Pump → local consensus: what it did with a trigger (also published on `pump/<node>/trigger_ack`). */
  'pump.trigger_ack': TriggerAckPayload;
  /**
   * Consensus → telemetry: what health reports about the cameras changed (one started or stopped
   * voting, a camera node went offline or came back), so health is re-published at once: who is alive.
   */
  'consensus.cameras': { camera: string | null; node: string | null; reason: string };
  /** Consensus → notify, status page: a trigger expired and no pump reported it (issue 17). */
  'consensus.trigger_unacknowledged': { trigger: TriggerMessage; resends: number };
  /** Pump → notify, status page (the payload published on `pump/<node>/event`). */
  'pump.event': PumpEvent;
  /** Telemetry → notify: the health verdict changed (status or the set of problem codes). */
  'health.changed': { status: 'ok' | 'degraded' | 'failed'; problems: Array<{ code: string; subject?: string; message: string }> };
  /** MQTT core → telemetry, status page, notify. */
  'mqtt.connection': { from: ConnectionState; to: ConnectionState; reason: string };
}

/** The application's bus type. */
export type AppBus = Bus<AppEvents>;

/** Build the application bus. */
export function createAppBus(log?: Logger): AppBus {
  return new Bus<AppEvents>(log);
}
