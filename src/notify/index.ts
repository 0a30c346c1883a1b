/**
 * The notify part's public surface: the only module other folders import (docs/style.md rule 1).
 * The notifier itself is in notifier.ts.
 */
export { notifyConfigSchema, webhookConfigSchema, redactWebhookUrl, NOTIFY_EVENTS, type NotifyConfig, type NotifyEvent, type WebhookConfig } from './config.js';
export { createClassifier, type Classifier, type Notification } from './classify.js';
export { retryDelayMs, fetchPost, type HttpPost, type PostResult } from './webhook.js';
export { createNotifier, type NotificationPayload, type NotifierOptions, type Notifier } from './notifier.js';
export { createNotifyPart } from './part.js';
