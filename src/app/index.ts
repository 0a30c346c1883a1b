/** The wiring of one node: build parts from config, start them in order, stop them safely. */
export { createApp, stopBudgetMs, STOPPED_WHILE_STARTING, type App, type AppOptions } from './app.js';
export { createLifecycle, type Lifecycle, type LifecycleOptions } from './lifecycle.js';
export { STOP_ORDER, stopRank, type PartOverrides } from './parts.js';
export { discoveryMessages, type DiscoveryMessage } from './homeassistant.js';
export type { AppPart } from './part.js';
export type { Part, PartContext, StopDeadline } from '../core/part.js';
export { assetRoot, resolveAsset, readVersion, isBundle } from './paths.js';
