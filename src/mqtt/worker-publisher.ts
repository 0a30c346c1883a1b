import type { MessagePort, Worker } from 'node:worker_threads';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { ConnectionState, MqttLink, PublishOptions } from './link.js';

/**
 * Publishing from a worker thread through the ONE core on the main thread (docs/design.md "One process,
 * two threads"): the worker posts `mqtt.*` messages, the main thread validates them and calls the
 * link in arrival order (postMessage preserves order per port, so per-publisher order is kept).
 * Other messages on the same port (detections...) are left to their own handlers.
 *
 * Not exported from src/mqtt/index.ts: no part uses it yet (the detector worker reports over its own
 * protocol, src/detect/worker-protocol.ts, and the main thread publishes), so it is not public
 * surface; its tests import this file directly.
 */

const payloadSchema = z.union([z.string(), z.instanceof(Uint8Array), z.record(z.string(), z.unknown())]);
const qosSchema = z.union([z.literal(0), z.literal(1)]);

/** Worker → main messages (one schema per boundary, docs/style.md rule 6). */
export const workerToMainSchema = z.discriminatedUnion('type', [
  /** Publish a message (same semantics as MqttLink.publish). */
  z.object({
    type: z.literal('mqtt.publish'),
    topic: z.string().min(1),
    payload: payloadSchema,
    opts: z.object({
      qos: qosSchema,
      priority: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
      expirySeconds: z.number().positive().optional(),
    }),
  }),
  /** Set a retained last value (same semantics as MqttLink.setLastValue). */
  z.object({ type: z.literal('mqtt.setLastValue'), topic: z.string().min(1), payload: payloadSchema, qos: qosSchema.optional() }),
]);
/** A message a worker sends to the core. */
export type WorkerToMain = z.infer<typeof workerToMainSchema>;

/** Main → worker: the connection state, sent on attach and on every transition. */
export interface MainToWorker {
  type: 'mqtt.state';
  state: ConnectionState;
}

type Port = Pick<MessagePort, 'postMessage' | 'on' | 'off'> | Pick<Worker, 'postMessage' | 'on' | 'off'>;

function toPayload(p: string | Uint8Array | Record<string, unknown>): string | Buffer | object {
  // Structured clone turns Buffers into plain Uint8Arrays; view the same bytes as a Buffer again.
  return p instanceof Uint8Array ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p;
}

/**
 * Main thread: route a worker's `mqtt.*` messages into `link`. Invalid `mqtt.*` messages are
 * logged and counted (`rejected()`), never thrown. Returns a detach function.
 */
export function attachWorkerPublisher(port: Port, link: MqttLink, opts: { logger?: Logger } = {}): { detach(): void; rejected(): number } {
  let rejected = 0;
  const onMessage = (raw: unknown) => {
    if (!raw || typeof raw !== 'object' || typeof (raw as { type?: unknown }).type !== 'string' || !(raw as { type: string }).type.startsWith('mqtt.')) return;
    const r = workerToMainSchema.safeParse(raw);
    if (!r.success) {
      rejected++;
      opts.logger?.warn('invalid mqtt message from worker dropped', { issues: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`) });
      return;
    }
    const m = r.data;
    if (m.type === 'mqtt.publish') link.publish(m.topic, toPayload(m.payload), m.opts as PublishOptions);
    else link.setLastValue(m.topic, toPayload(m.payload), { qos: m.qos });
  };
  port.on('message', onMessage);
  const post = (state: ConnectionState) => port.postMessage({ type: 'mqtt.state', state } satisfies MainToWorker);
  post(link.connectionState());
  const off = link.onConnectionState((_f, to) => post(to));
  return {
    detach() {
      port.off('message', onMessage);
      off();
    },
    rejected: () => rejected,
  };
}

/** The worker side: a small publisher with the MqttLink publish surface. */
export interface WorkerPublisher {
  publish(topic: string, payload: string | Buffer | object, opts: PublishOptions): void;
  setLastValue(topic: string, payload: string | Buffer | object, opts?: { qos?: 0 | 1 }): void;
  /** Last state the main thread reported (`UNKNOWN` until the first report). */
  connectionState(): ConnectionState | 'UNKNOWN';
  /** Stop listening for state reports. */
  close(): void;
}

/** Worker thread: publish through the main thread's core over `port` (e.g. `parentPort`). */
export function createWorkerPublisher(port: Port): WorkerPublisher {
  let state: ConnectionState | 'UNKNOWN' = 'UNKNOWN';
  const onMessage = (m: unknown) => {
    if (m && typeof m === 'object' && (m as MainToWorker).type === 'mqtt.state') state = (m as MainToWorker).state;
  };
  port.on('message', onMessage);
  return {
    publish(topic, payload, opts) {
      port.postMessage({ type: 'mqtt.publish', topic, payload, opts });
    },
    setLastValue(topic, payload, opts = {}) {
      port.postMessage({ type: 'mqtt.setLastValue', topic, payload, qos: opts.qos });
    },
    connectionState: () => state,
    close() {
      port.off('message', onMessage);
    },
  };
}
