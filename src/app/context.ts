import type { AppBus } from '../bus/index.js';
import type { Clock } from '../core/clock.js';
import type { IdSource } from '../core/ids.js';
import type { Random } from '../core/random.js';
import type { AppConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { MqttLink } from '../mqtt/link.js';

/**
 * What the wiring hands each part builder. Built once per process by {@link createApp}; `link` is
 * filled after the MQTT core is built (parts built later receive it in their options).
 */
export interface WireContext {
  config: AppConfig;
  nodeId: string;
  stateDir: string;
  logger: Logger;
  clock: Clock;
  random?: Random;
  /** The process's one message-id source (issue 15 item 5): the MQTT core and every part draw from it. */
  ids: IdSource;
  bus: AppBus;
  link?: MqttLink;
  /** Version string reported in health. */
  version: string;
}
