import type { Clock } from '../core/clock.js';
import type { MetricSnapshot } from '../core/metrics.js';
import type { Random } from '../core/random.js';
import type { IdSource } from '../core/ids.js';
import type { Logger } from '../log/logger.js';
import type { MqttConfig } from './config.js';
import type { ConnectionState, MqttLink } from './link.js';
import type { OutboxStore } from './outbox-store.js';

/** Public types of the MQTT core (re-exported by index.ts). */

/** Options of {@link createMqttCore} (one options object, docs/style.md rule 5). */
export interface MqttCoreOptions {
  config: MqttConfig;
  /** Node id (`<node>` in topics); the client id is `wfe-<node>`. */
  nodeId: string;
  /** The outbox lives in `<stateDir>/outbox/`. */
  stateDir: string;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /** The process's message-id source (src/core/ids.ts), shared with the parts; default a new one. */
  ids?: IdSource;
  /** Outbox storage override (tests); default the on-disk segment log. */
  store?: OutboxStore;
  /** Rejected inbound messages are logged at most once per reason per this interval, with a count (`log.refusalSummarySeconds`); default 60 s. */
  refusalLogMs?: number;
}

/** What the status page shows (no secrets). */
export interface MqttCoreSnapshot {
  state: ConnectionState;
  stateSeconds: number;
  /** Broker URL with credentials redacted. */
  url: string;
  embedded: boolean;
  clientId: string;
  protocolVersion: 4 | 5;
  consecutiveFailures: number;
  /** `writeError`: the outbox's last disk write error, null once a write succeeds again. */
  outbox: { depth: number; bytes: number; inflight: number; writeError: string | null };
  lastError: string | null;
}

/** The MQTT core: the link every part uses plus lifecycle and observability. */
export interface MqttCore extends MqttLink {
  /** Open the outbox (recovering what a previous run left), start the embedded broker when no url is set, begin connecting. Resolves without waiting for the broker. */
  start(): Promise<void>;
  /** Publish `offline`, flush the outbox for at most `closeGraceMs`, disconnect, cancel timers. Never throws; idempotent. */
  close(): Promise<void>;
  /** Resolves when every QoS 1 message published so far is written to the outbox per the fsync policy. */
  flush(): Promise<void>;
  metrics(): MetricSnapshot;
  snapshot(): MqttCoreSnapshot;
}
