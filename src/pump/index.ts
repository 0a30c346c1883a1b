/**
 * The pump part (docs/pump.md): the only module other folders import. src/app builds it with
 * {@link createPumpController} and hands {@link createPumpExitSafety} to the process lifecycle.
 */
export { createPumpController, type PumpController, type PumpControllerOptions, type PumpSnapshot } from './controller.js';
export { pumpStatus, type PumpStatus } from './status.js';
export { createPumpExitSafety, pumpSafeStopMs, type PumpExitSafety, type PumpExitSafetyOptions } from './exit-safety.js';
export { createGpioDriver, driverForModel, type CreateGpioDriverOptions } from './gpio-select.js';
export type { GpioDriver, GpioOpenSpec, Level } from './gpio-driver.js';
export { MockGpioDriver, type PinChange, type MockGpioOptions } from './gpio-mock.js';
export { pumpConfigSchema, parsePumpConfig, type PumpConfig, type PumpPins, type PumpTimings, type PinSpec, TIMING_TABLE, DEFAULT_PINS } from './config.js';
export type { CommandAction, HandleResult, Outputs, Inputs, MachineEvent } from './machine-types.js';
export { createPumpPart, type PumpPart, type PumpPartOptions } from './part.js';
