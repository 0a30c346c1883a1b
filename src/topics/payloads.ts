import { z } from 'zod';

/**
 * One schema per MQTT payload (docs/style.md rule 6; docs/topics.md). Inbound schemas ignore unknown fields
 * (zod objects strip them) and reject missing required fields, wrong types and non-finite numbers.
 * Producers build these types; consumers validate with the same schemas.
 */

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const unit = finite.refine((n) => n >= 0 && n <= 1, 'must be within [0, 1]');

/** Fields every message we publish carries (docs/topics.md). */
export const envelopeSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  node_id: z.string().min(1),
  ts: finite,
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** A normalised `[x1, y1, x2, y2]` box inside the frame with x1 < x2, y1 < y2. */
export const normBoxSchema = z
  .tuple([unit, unit, unit, unit])
  .refine((b) => b[0] < b[2] && b[1] < b[3], 'box must have x1 < x2 and y1 < y2');

/** One detection inside an own detection message. */
export const detectionSchema = z.object({
  label: z.string().min(1).max(64),
  score: unit,
  box: normBoxSchema,
  track: z.number().int().nonnegative().optional(),
});
export type Detection = z.infer<typeof detectionSchema>;

/** Own detection message on `fire/detection/<camera>` (docs/topics.md "Own detection message"). */
export const detectionMessageSchema = z.object({
  v: z.literal(1).optional(),
  id: z.string().min(1).max(128).optional(),
  node_id: z.string().max(128).optional(),
  ts: finite.optional(),
  camera_id: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  frame: z
    .object({
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      seq: z.number().int().nonnegative().optional(),
      captured_at: finite.optional(),
    })
    .optional(),
  model: z.object({ name: z.string(), hash: z.string().optional(), threshold: unit }).partial().optional(),
  detections: z.array(detectionSchema).max(256),
});
export type DetectionMessage = z.infer<typeof detectionMessageSchema>;

/** Evidence for one camera in a trigger (docs/consensus.md "Output"). */
export const triggerEvidenceSchema = z.object({
  camera: z.string(),
  track: z.union([z.string(), z.number()]),
  label: z.string(),
  max_score: finite,
  early_median_area: finite,
  late_median_area: finite,
  reason: z.enum(['growing', 'persistent']),
});
export type TriggerEvidence = z.infer<typeof triggerEvidenceSchema>;

/**
 * `fire/trigger`: reference field names kept (`action`, `confidence`, `timestamp`, `trigger_count`,
 * `consensus_cameras`, `fire_locations`, `service_id`, `zones`) plus `id`, `expires_at`, `node_id`,
 * `evidence`. Inbound only `action: "trigger"` is required (docs/topics.md "Required on receipt").
 */
export const triggerSchema = z.object({
  action: z.literal('trigger'),
  id: z.string().min(1).max(128).optional(),
  v: z.literal(1).optional(),
  node_id: z.string().optional(),
  ts: finite.optional(),
  confidence: z.union([z.string(), finite]).optional(),
  timestamp: finite.optional(),
  expires_at: finite.optional(),
  trigger_count: z.number().int().nonnegative().optional(),
  consensus_cameras: z.array(z.string()).optional(),
  fire_locations: z.array(z.tuple([z.string(), z.union([z.string(), z.number()])])).optional(),
  service_id: z.string().optional(),
  zones: z.array(z.string()).optional(),
  evidence: z.array(triggerEvidenceSchema).optional(),
});
export type TriggerMessage = z.infer<typeof triggerSchema>;

/** Operator command actions on `fire/emergency`, aliases included (docs/pump.md "Commands"). */
export const EMERGENCY_ACTIONS = ['start', 'stop', 'valve_open', 'valve_close', 'reset', 'arm', 'disarm', 'bypass_start', 'emergency_stop'] as const;
/** `fire/emergency` JSON form; `command` is the reference's alias of `action`. */
export const emergencySchema = z
  .object({
    action: z.enum(EMERGENCY_ACTIONS).optional(),
    command: z.enum(EMERGENCY_ACTIONS).optional(),
    id: z.string().min(1).max(128).optional(),
    ts: finite.optional(),
    source: z.string().max(128).optional(),
    /** Node id of the one pump meant; absent = every pump that receives it (the reference behaviour). */
    target: z.string().min(1).max(128).optional(),
  })
  .refine((c) => c.action !== undefined || c.command !== undefined, 'action (or command) is required');
export type EmergencyCommand = z.infer<typeof emergencySchema>;

/** `pump/<node>/ack`. */
export const ackSchema = envelopeSchema.extend({
  command_id: z.string(),
  action: z.string(),
  accepted: z.boolean(),
  reason: z.string().nullable(),
});
export type Ack = z.infer<typeof ackSchema>;

/** `camera/<camera>/status` (retained). */
export const cameraStatusSchema = z.object({
  status: z.enum(['online', 'offline', 'error']),
  fps: finite.optional(),
  frames: z.number().int().nonnegative().optional(),
  dropped: z.number().int().nonnegative().optional(),
  last_frame_at: finite.nullable().optional(),
  error: z.string().nullable().optional(),
  camera_id: z.string().optional(),
  node_id: z.string().optional(),
  ts: finite.optional(),
});
export type CameraStatus = z.infer<typeof cameraStatusSchema>;

/** `consensus/<node>/state` (retained). */
export const consensusStateSchema = z.object({
  state: z.enum(['idle', 'watching', 'triggered', 'cooldown']),
  cameras_seeing_fire: z.array(z.string()),
  threshold: z.number().int(),
  last_trigger: z.object({ id: z.string(), ts: finite }).nullable(),
});
export type ConsensusState = z.infer<typeof consensusStateSchema>;

/** Logical output names of the pump (docs/pump.md "Outputs"). */
export const PUMP_OUTPUTS = ['mainValve', 'ignitionStart', 'ignitionOn', 'ignitionOff', 'refillValve', 'primingValve', 'rpmReduce'] as const;
export type PumpOutput = (typeof PUMP_OUTPUTS)[number];
/** Logical input names of the pump. */
export const PUMP_INPUTS = ['reservoirFloat', 'linePressure', 'flowSensor', 'emergencyButton', 'engineRunning'] as const;
export type PumpInput = (typeof PUMP_INPUTS)[number];
/** Pump states (docs/pump.md "States"). */
export const PUMP_STATES = ['IDLE', 'MANUAL_VALVE', 'PRIMING', 'STARTING', 'RUNNING', 'REDUCING_RPM', 'STOPPING', 'REFILLING', 'COOLDOWN', 'ERROR'] as const;
export type PumpStateName = (typeof PUMP_STATES)[number];
/**
 * States a `pump/<node>/state` payload may name: the machine's, plus `STOPPED_FOR_EXIT`, the last
 * retained state of a process that stopped (engine stopped, every output off, node going offline).
 * It is never persisted and never entered by the machine.
 */
export const PUMP_PAYLOAD_STATES = [...PUMP_STATES, 'STOPPED_FOR_EXIT'] as const;

/** `pump/<node>/state` (retained; docs/pump.md "State payload", normative). */
export const pumpStateSchema = envelopeSchema.extend({
  state: z.enum(PUMP_PAYLOAD_STATES),
  armed: z.boolean(),
  outputs: z.object(Object.fromEntries(PUMP_OUTPUTS.map((k) => [k, z.boolean()])) as Record<PumpOutput, z.ZodBoolean>),
  inputs: z.object(Object.fromEntries(PUMP_INPUTS.map((k) => [k, z.boolean().nullable()])) as Record<PumpInput, z.ZodNullable<z.ZodBoolean>>),
  run: z
    .object({ ignitionOnAt: finite.nullable(), runtimeS: finite, remainingS: finite, attempt: z.number().int() })
    .nullable(),
  lockoutRemainingS: finite,
  holdRemainingS: finite,
  lastTriggerId: z.string().nullable(),
  error: z.string().nullable(),
  driver: z.string(),
  /** The state file was lost or corrupt at boot; latched until an operator `reset` or `arm` (issue 12). Always sent by this version; absent = false. */
  stateLost: z.boolean().optional(),
});
export type PumpStatePayload = z.infer<typeof pumpStateSchema>;

/**
 * `pump/<node>/trigger_ack` (QoS 1, not retained): the pump got trigger `trigger_id` and acted on it
 * (`accepted`) or refused it (`reason`: disarmed, lockout, expired...). Sent again when the same
 * trigger arrives again (a consensus re-send), so a lost ack is repaired. `zones` are the pump's
 * (`[]` = every zone): consensus counts the ack for a trigger only from a pump serving its zones.
 */
export const triggerAckSchema = envelopeSchema.extend({
  trigger_id: z.string().min(1).max(200),
  accepted: z.boolean(),
  reason: z.string().max(300).nullable(),
  zones: z.array(z.string().max(128)).max(64),
});
export type TriggerAckPayload = z.infer<typeof triggerAckSchema>;

/** `pump/<node>/event`: every transition and every refused trigger or command. */
export const pumpEventSchema = z
  .object({ event: z.string(), from: z.string().nullable(), to: z.string().nullable(), reason: z.string().nullable() })
  .passthrough();
export type PumpEvent = z.infer<typeof pumpEventSchema>;

/** `system/<node>/connection` (docs/mqtt-core.md "Presence and events"). */
export const connectionEventSchema = envelopeSchema.extend({
  event: z.enum(['connected', 'disconnected', 'failed']),
  reason: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
  previous_state_ms: finite,
});
export type ConnectionEvent = z.infer<typeof connectionEventSchema>;

/** Health verdict values of `system/<node>/health`. */
export const HEALTH_STATUSES = ['ok', 'degraded', 'failed'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** One reason a node is not `ok`. `code` is stable (dashboards, notify); `message` is for people. */
export const healthProblemSchema = z.object({
  code: z.string().min(1),
  /** Camera id, listener name, part name... when the problem is about one thing. */
  subject: z.string().optional(),
  severity: z.enum(['degraded', 'failed']),
  message: z.string(),
});
export type HealthProblem = z.infer<typeof healthProblemSchema>;

/**
 * The fields of `system/<node>/health` (retained, QoS 0; docs/topics.md) that telemetry builds: the
 * topic's payload is the envelope (added by the MQTT core at encode) plus these.
 */
export const healthBodySchema = z.object({
  status: z.enum(HEALTH_STATUSES),
  uptime_s: finite,
  version: z.string(),
  roles: z.array(z.string()),
  /** False only when the OS positively reports "not synchronised" (src/telemetry/clock-sync.ts for `unknown`). */
  clock_synced: z.boolean(),
  /** Where the answer came from. */
  clock_sync: z.enum(['synced', 'unsynced', 'unknown']),
  problems: z.array(healthProblemSchema),
  mqtt: z.object({ state: z.string(), outbox_depth: finite.nullable(), outbox_max: finite.nullable() }).nullable(),
  cameras: z.array(z.object({ id: z.string(), status: z.string(), fps: finite.nullable(), error: z.string().nullable() })),
  detector: z.object({ state: z.string(), error: z.string().nullable() }).nullable(),
  /**
   * Consensus state, and every camera it knows with whether it votes now (so a controller's health
   * says "camera east silent" without its local status page), and triggers awaiting a pump's ack.
   */
  consensus: z
    .object({
      state: z.string(),
      /** `status` combines the camera's retained status with its node's availability (a dead node's camera is offline). */
      cameras: z
        .array(z.object({ id: z.string(), node: z.string().nullable(), status: z.string(), node_online: z.boolean().nullable(), voting: z.boolean(), sees_fire: z.boolean(), silent_s: finite.nullable() }))
        .optional(),
      triggers_pending_ack: z.number().int().nonnegative().optional(),
      trigger_unacknowledged: z.string().nullable().optional(),
    })
    .nullable(),
  pump: z.object({ state: z.string(), error: z.string().nullable(), armed: z.boolean().nullable() }).nullable(),
  /** Free space of the state directory (disk_full below min_free_mb); null before the first reading. */
  disk: z.object({ path: z.string(), free_mb: finite, total_mb: finite, min_free_mb: finite }).nullable(),
  /** Discovery summary (issue 16: rounds, cameras found, unconfigured ones, configured cameras not found); null without discovery. */
  discovery: z
    .object({ rounds: z.number().int().nonnegative(), last_round_at: finite.nullable(), cameras: z.number().int().nonnegative(), unconfigured: z.number().int().nonnegative(), missing: z.array(z.string()) })
    .nullable()
    .optional(),
});
export type HealthBody = z.infer<typeof healthBodySchema>;

/** `system/<node>/health` as it is on the wire: envelope + {@link healthBodySchema}. */
export const healthPayloadSchema = envelopeSchema.extend(healthBodySchema.shape).strict();
export type HealthPayload = z.infer<typeof healthPayloadSchema>;

/** Decoded Raspberry Pi firmware throttling flags (`vcgencmd get_throttled`). */
export const throttledFlagsSchema = z.object({
  /** The raw bit field as hex, e.g. `0x50000`. */
  raw: z.string(),
  /** Conditions active right now (bits 0–3). */
  now: z.array(z.string()),
  /** Conditions that occurred since boot (bits 16–19). */
  since_boot: z.array(z.string()),
});
export type ThrottledFlags = z.infer<typeof throttledFlagsSchema>;

/** The fields of `system/<node>/telemetry` (QoS 0; docs/topics.md) that telemetry reads; the envelope is added at encode. */
export const telemetryReadingSchema = z.object({
  cpu_percent: finite.nullable(),
  load1: finite,
  mem_used_mb: finite,
  mem_total_mb: finite,
  rss_mb: finite,
  disk_free_mb: finite.nullable(),
  disk_total_mb: finite.nullable(),
  cpu_temp_c: finite.nullable(),
  /** Process (node) uptime; `os_uptime_s` is the machine's. */
  uptime_s: finite,
  os_uptime_s: finite,
  throttled: throttledFlagsSchema.nullable(),
});
export type TelemetryReading = z.infer<typeof telemetryReadingSchema>;

/** `system/<node>/telemetry` as it is on the wire: envelope + {@link telemetryReadingSchema}. */
export const telemetryPayloadSchema = envelopeSchema.extend(telemetryReadingSchema.shape).strict();
export type TelemetryPayload = z.infer<typeof telemetryPayloadSchema>;
