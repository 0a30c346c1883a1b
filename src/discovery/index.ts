/**
 * Camera discovery (issue 16): WS-Discovery + ONVIF queries + mDNS in one round (round.ts), the pure
 * core that merges findings and follows identities (merge.ts, identity.ts), what is shown and
 * published (report.ts), and the node's part that runs rounds on a schedule (service.ts).
 */
export { discoveryConfigSchema, type DiscoveryConfig } from './config.js';
export { DISCOVERY_METRICS } from './metric-specs.js';
export { discoveryRound, resolveInterfaces, type DiscoveryRound } from './round.js';
export { configuredMatches, identityMatches, mergeFindings, streamUrlFor, type DiscoveredCamera } from './merge.js';
export { IdentityTracker, type IdentityEvent, type IdentityState } from './identity.js';
export { buildReport, camerasSnippet, discoveryTable, type DiscoveryReport } from './report.js';
export { createDiscoveryService, type DiscoveryService, type DiscoveryServiceOptions, type DiscoverySnapshot } from './service.js';
export { createDiscoveryPart, discoveryWanted } from './part.js';
