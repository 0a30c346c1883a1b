/**
 * Multi-camera fire consensus (docs/consensus.md): the only import other folders use. `createConsensus`
 * wires the pure engine to the bus and the MQTT link; the engine and the input parsers are exported
 * for tools, tests and benchmarks.
 */
export { createConsensus, triggerPayload, statePayload, type ConsensusOptions, type ConsensusService, type ConsensusSnapshot } from './service.js';
export { consensusConfigSchema, parseConsensusConfig, type ConsensusConfig, type ConsensusCameraConfig, type MaskConfig } from './config.js';
export { ConsensusEngine, type EngineOptions, type EngineCounters } from './engine.js';
export type { Observation, ObservationBatch, IngestOutcome, Decision, Evidence, EngineState, EngineSnapshot, CameraSnapshot, ConsensusStateName, InputSource } from './types.js';
export { createConsensusPart, type ConsensusPart } from './part.js';
