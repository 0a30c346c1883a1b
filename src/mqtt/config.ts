import { isForeignTopic } from '../topics/topics.js';
import { z } from 'zod';

/**
 * `mqtt.*` config section (docs/design.md "Configuration", docs/mqtt-core.md). Owned by src/mqtt.
 * No `url` means: start the embedded broker on `embedded.host:embedded.port` and connect to it.
 * Every range is explicit and out-of-range values are refused, never clamped. Every interval is
 * configurable so tests can run the real code in seconds.
 * (zod 4: `.prefault({})` on nested objects so inner defaults apply.)
 */

/** Control characters, NUL, `+` and `#` are refused in the prefix (docs/mqtt-core.md "Topic prefix"). */
// eslint-disable-next-line no-control-regex
const BAD_PREFIX = /[+#\u0000-\u001f\u007f]/;

/** `topicPrefix`: validated, then normalised to end with exactly one `/` (or be empty). */
export const topicPrefixSchema = z
  .string()
  .max(128)
  .refine((s) => !BAD_PREFIX.test(s), 'may not contain "+", "#", NUL or control characters')
  .refine((s) => !s.startsWith('/'), 'may not start with "/" (it would create an empty first topic level)')
  .transform((s) => (s === '' ? '' : s.replace(/\/+$/, '') + '/'))
  .refine((s) => s !== '/', 'must contain a name, not only "/"')
  // Topics under frigate/ and homeassistant/ belong to other software and are never prefixed, so
  // inbound topics under such a prefix could not be told apart from theirs: nothing would match.
  .refine((s) => !isForeignTopic(s), 'may not start with "frigate…/" or "homeassistant/" (those topics belong to Frigate and Home Assistant)');

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

/** When the outbox calls fsync (documented in README/MQTT-CORE: durability vs SD-card wear). */
export const fsyncModeSchema = z
  .enum(['always', 'interval', 'never'])
  .describe(
    'always: fsync every group-committed batch before it is sent (survives power loss); ' +
      'interval: write every batch, fsync at most every fsyncIntervalMs (power loss may lose that window); ' +
      'never: write only (survives a process crash/SIGKILL, not a power cut)',
  );

/** The `mqtt.outbox` section. */
export const outboxConfigSchema = z
  .strictObject({
    maxMessages: z.number().int().min(10).max(1_000_000).default(10_000).describe('Bound on queued QoS 1 messages.'),
    maxBytes: z.number().int().min(64 * 1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024).describe('Bound on queued topic+payload bytes.'),
    fsync: fsyncModeSchema.default('always'),
    fsyncIntervalMs: ms(1, 60_000).default(1000).describe('fsync cadence in `interval` mode.'),
    groupCommitMs: ms(0, 1000).default(0).describe('Extra wait to gather a batch before a commit; 0 = commit as soon as the previous one ends.'),
    segmentBytes: z.number().int().min(4096).max(256 * 1024 * 1024).default(4 * 1024 * 1024).describe('Segment file size before rotation.'),
  })
  .prefault({});

/** The `mqtt.embedded` section: the in-process broker used when no `url` is configured. */
export const embeddedConfigSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Listen address; loopback by default (never exposed unless chosen).'),
    // 1883 so other local tools (mosquitto_sub, Home Assistant on the same Pi) find it; 0 = any free port.
    port: z.number().int().min(0).max(65535).default(1883),
  })
  .prefault({});

/** Backoff before reconnect attempt n: random(0, min(capMs, baseMs * 2^(n-1))) (full jitter). */
export const backoffConfigSchema = z
  .strictObject({
    baseMs: ms(1, 3_600_000).default(1000),
    capMs: ms(1, 3_600_000).default(60_000),
  })
  .prefault({})
  .refine((b) => b.capMs >= b.baseMs, { message: 'capMs must be >= baseMs', path: ['capMs'] });

/**
 * The `mqtt.session` section (issue 17): a persistent session, so the broker keeps this node's
 * subscriptions and queues the QoS 1 messages (triggers, commands, remote detections) sent while
 * its link is down, and hands them over when it comes back. The receipt rules (docs/topics.md expiry)
 * still refuse what is stale on arrival.
 */
export const sessionConfigSchema = z
  .strictObject({
    persistent: z
      .boolean()
      .default(true)
      .describe('Persistent session on an external broker (MQTT 5 cleanStart false + session expiry; 3.1.1 clean false). The embedded broker always uses a clean session (it lives in this process).'),
    expirySeconds: z
      .number()
      .int()
      .min(60)
      .max(4_294_967_294)
      .default(3600)
      .describe('MQTT 5 session expiry: how long the broker keeps the session of a node that is gone. Must cover consensus.triggerTtlSeconds and pump.commandExpirySeconds. Under 3.1.1 the broker decides (Mosquitto persistent_client_expiration).'),
  })
  .prefault({});

/** The whole `mqtt` section. */
export const mqttConfigSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'must be a broker URL like mqtt://host:1883 or mqtts://host:8883')
      .optional()
      .describe('Broker URL; unset = embedded broker on loopback.'),
    username: z.string().optional(),
    password: z.string().optional(),
    ca: z.string().optional().describe('CA certificate file (PEM) for TLS.'),
    cert: z.string().optional().describe('Client certificate file (PEM) for mutual TLS.'),
    key: z.string().optional().describe('Client private key file (PEM) for mutual TLS.'),
    verifyHostname: z.boolean().default(true).describe('TLS certificate + hostname verification; turning it off is logged as a warning.'),
    protocolVersion: z
      .union([z.literal(4), z.literal(5)])
      .optional()
      .describe('MQTT 3.1.1 (4) or 5; default 5 for an external broker, 4 for the embedded one (aedes speaks 3.1.1).'),
    topicPrefix: topicPrefixSchema.default(''),
    keepaliveSeconds: z.number().int().min(1).max(65535).default(30),
    connectTimeoutSeconds: z.number().min(0.1).max(300).default(10),
    backoff: backoffConfigSchema,
    maxReconnectAttempts: z.number().int().min(0).max(1_000_000).default(10).describe('Consecutive failures before FAILED (0 = never FAILED).'),
    stopWhenFailed: z.boolean().default(false).describe('Stop probing in FAILED (default: keep probing at the cap interval).'),
    maxInboundBytes: z.number().int().min(256).max(256 * 1024 * 1024).default(64 * 1024),
    maxInflight: z.number().int().min(1).max(65535).default(1000).describe('QoS 1 messages sent but not yet acknowledged.'),
    closeGraceMs: ms(0, 120_000).default(3000).describe('How long close() waits for the outbox to drain.'),
    outbox: outboxConfigSchema,
    embedded: embeddedConfigSchema,
    session: sessionConfigSchema,
  })
  .prefault({})
  .superRefine((c, ctx) => {
    if ((c.cert === undefined) !== (c.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.cert === undefined ? 'cert' : 'key'], message: 'cert and key must be given together (mutual TLS)' });
    }
    if (c.password !== undefined && c.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
    }
  });

/** Parsed `mqtt` config (defaults applied). */
export type MqttConfig = z.infer<typeof mqttConfigSchema>;
/** Parsed `mqtt.outbox` config. */
export type OutboxConfig = z.infer<typeof outboxConfigSchema>;
