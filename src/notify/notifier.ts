import type { AppBus } from '../bus/index.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { createIdSource, stampEnvelope, type IdSource } from '../core/ids.js';
import type { MetricSnapshot } from '../core/metrics.js';
import { systemRandom, type Random } from '../core/random.js';
import type { Logger } from '../log/logger.js';
import { createClassifier, type Notification } from './classify.js';
import { redactWebhookUrl, type NotifyConfig, type NotifyEvent } from './config.js';
import { fetchPost, WebhookSender, type HttpPost, type SenderCounters } from './webhook.js';

/** The JSON body every webhook receives. */
export interface NotificationPayload {
  v: 1;
  id: string;
  node_id: string;
  /** Epoch seconds. */
  ts: number;
  event: NotifyEvent;
  kind: string;
  /** One line for people (chat, SMS gateways). */
  title: string;
  detail: Record<string, unknown>;
}

/** Options for {@link createNotifier}. */
export interface NotifierOptions {
  config: NotifyConfig;
  nodeId: string;
  logger: Logger;
  clock: Clock;
  bus: AppBus;
  /** Jitter source; default Math.random. */
  random?: Random;
  /** The process's message-id source (src/core/ids.ts): notification ids; default a new one. */
  ids?: IdSource;
  /** HTTP POST; default Node's fetch. */
  post?: HttpPost;
  /** Sent as User-Agent; default `wildfire-edge`. */
  userAgent?: string;
}

/** The notifier part. */
export interface Notifier {
  /** Subscribe to the bus. */
  start(): void;
  /** Unsubscribe, let queued notifications go out for up to `graceMs` (default 2000), then abort the rest. */
  stop(graceMs?: number): Promise<void>;
  /**
   * Send a notification directly: what the bus listeners call once an event is classified (tests
   * call it too). Nothing else calls it: the wiring sends no startup or shutdown note, and the
   * exit's STOPPING / STOPPED_FOR_EXIT transitions are not classified as notifications.
   */
  notify(n: Notification): void;
  /** sent, failed, retries, dropped, and notifications by event. */
  metrics(): MetricSnapshot;
}

const OWNER = 'notify';

/** Build the notifier: bus events → classifier → per-webhook queues (issue 7 "Notifications"). */
export function createNotifier(opts: NotifierOptions): Notifier {
  const { config, clock, bus, nodeId } = opts;
  const log = opts.logger;
  const ids = opts.ids ?? createIdSource();
  const counters: SenderCounters = { sent: 0, failed: 0, retries: 0, dropped: 0 };
  const byEvent: Record<string, number> = {};
  const classify = createClassifier(nodeId);
  const senders = config.webhooks.map(
    (w) =>
      new WebhookSender({
        config: w,
        queueSize: config.queueSize,
        retryBaseMs: config.retryBaseMs,
        retryMaxMs: config.retryMaxMs,
        clock,
        random: opts.random ?? systemRandom,
        logger: log,
        post: opts.post ?? fetchPost,
        userAgent: opts.userAgent ?? 'wildfire-edge',
        counters,
      }),
  );

  function notify(n: Notification): void {
    byEvent[n.event] = (byEvent[n.event] ?? 0) + 1;
    // A webhook body, not an MQTT message: the envelope is stamped here, from the same id source.
    const payload: NotificationPayload = { ...stampEnvelope(ids, nodeId, clock.wallNow()), ...n };
    const body = JSON.stringify(payload);
    let targets = 0;
    config.webhooks.forEach((w, i) => {
      if (!w.events.includes(n.event)) return;
      targets++;
      senders[i].enqueue(n.kind, body);
    });
    log.info(`notify: ${n.title}`, { kind: n.kind, webhooks: targets });
  }

  // Listeners only classify and enqueue: delivery is async, so the pump/consensus emitters never wait.
  const on = (n: Notification | null): void => {
    if (n) notify(n);
  };

  return {
    start() {
      if (senders.length === 0) {
        log.info('no webhooks configured: notifications are logged only', {});
      } else {
        log.info('webhooks configured', { webhooks: config.webhooks.map((w) => ({ url: redactWebhookUrl(w.url), events: w.events })) });
      }
      bus.on('consensus.state', OWNER, (e) => on(classify.consensus(e)));
      bus.on('pump.event', OWNER, (e) => on(classify.pumpEvent(e)));
      bus.on('camera.status', OWNER, (e) => on(classify.cameraStatus(e)));
      bus.on('mqtt.connection', OWNER, (e) => on(classify.mqtt(e)));
      bus.on('health.changed', OWNER, (e) => on(classify.health(e)));
      bus.on('consensus.trigger_unacknowledged', OWNER, (e) => on(classify.triggerUnacknowledged(e)));
    },
    async stop(graceMs = 2000) {
      bus.removeOwner(OWNER);
      // Let what is already queued go out (a pump ERROR or a trigger blocked just before the stop),
      // bounded by the grace period.
      let timer: TimerHandle | undefined;
      const deadline = new Promise<void>((r) => {
        timer = clock.setTimer(graceMs, r);
      });
      await Promise.race([Promise.all(senders.map((s) => s.whenIdle())), deadline]);
      timer?.cancel();
      for (const s of senders) s.abort();
    },
    notify,
    metrics: () => ({ ...counters, notifications: { ...byEvent } }),
  };
}
