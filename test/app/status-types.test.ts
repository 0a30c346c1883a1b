import { describe, expect, expectTypeOf, it } from 'vitest';
import { HilRig } from '../../hw/hil.js';
import { mqttHealthSource } from '../../src/app/mqtt-health-source.js';
import { buildStatus } from '../../src/app/status.js';
import { createAppBus } from '../../src/bus/index.js';
import type { ConsensusSnapshot } from '../../src/consensus/index.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import type { CameraStatusRow, DetectorStatus } from '../../src/detect/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { MqttCoreSnapshot } from '../../src/mqtt/index.js';
import type { PumpStatus } from '../../src/pump/index.js';
import { createTelemetry, telemetryConfigSchema, type HealthSources } from '../../src/telemetry/index.js';

// Issue 15 item 2: each part's status reaches health and the status page with its own type. The
// type checks below run under `tsc` (vitest only evaluates them as no-ops): each part's status type
// is what health's source takes, with no cast in between.

describe('typed status end to end', () => {
  it("each part's own status type is what health's sources take (checked by tsc)", () => {
    expectTypeOf<() => PumpStatus | null>().toMatchTypeOf<NonNullable<HealthSources['pump']>>();
    expectTypeOf<() => ConsensusSnapshot>().toMatchTypeOf<NonNullable<HealthSources['consensus']>>();
    expectTypeOf<() => CameraStatusRow[]>().toMatchTypeOf<NonNullable<HealthSources['cameras']>>();
    expectTypeOf<() => DetectorStatus>().toMatchTypeOf<NonNullable<HealthSources['detector']>>();
    expectTypeOf<(s: MqttCoreSnapshot) => ReturnType<typeof mqttHealthSource>>().returns.toMatchTypeOf<ReturnType<NonNullable<HealthSources['mqtt']>>>();
  });

  it("a real pump's status goes to health and the status page as it is: state, armed, pins, state-file error", async () => {
    const rig = await HilRig.create();
    try {
      const status = () => rig.controller.status();
      const clock = new VirtualClock();
      const telemetry = createTelemetry({
        config: telemetryConfigSchema.parse({}),
        nodeId: 'pi-pump',
        version: 't',
        roles: ['pump'],
        logger: silentLogger(),
        clock,
        bus: createAppBus(),
        sources: { pump: status },
        stats: { read: async () => { throw new Error('not needed'); } },
        clockSync: { refresh: async () => 'synced', state: () => 'synced', clockSynced: () => true },
      });
      const s = status();
      expect(telemetry.health().pump).toEqual({ state: s.state, error: s.error, armed: s.armed });
      const page = buildStatus({ nodeId: 'pi-pump', version: 't', roles: ['pump'], telemetry, pump: status });
      expect(page.pump).toMatchObject({ state: 'IDLE', armed: s.armed, pins: s.pins, stateWriteError: null, driver: 'mock' });
      expect(Object.keys(page.pump!.pins as object)).toContain('mainValve');
      // Disarmed: the pump's own field, not a copy the wiring made.
      expect(rig.command('disarm').accepted).toBe(true);
      expect(telemetry.health().pump?.armed).toBe(false);
      expect(buildStatus({ nodeId: 'pi-pump', version: 't', roles: ['pump'], telemetry, pump: status }).pump?.armed).toBe(false);
    } finally {
      await rig.controller.stop();
    }
  });
});
