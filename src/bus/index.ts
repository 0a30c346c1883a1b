/** In-process typed bus: the only import other folders use. */
export { Bus, type Listener } from './bus.js';
export { createAppBus, type AppBus, type AppEvents } from './events.js';
