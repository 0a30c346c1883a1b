/**
 * The demo's public surface: the only module other folders import (docs/style.md rule 1).
 * `wildfire-edge demo` itself is in run-demo.ts.
 */
export { demoConfig, type DemoConfigOptions } from './demo-config.js';
export { narrate, type DemoTimings, type NarratorOptions } from './narrator.js';
export { prettyLine, prettyDestination } from './pretty-log.js';
export { runDemo, type DemoOptions } from './run-demo.js';
