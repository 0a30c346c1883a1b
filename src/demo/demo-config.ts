import { join } from 'node:path';

/** Facts the demo config depends on (where the assets are, which ports are free). */
export interface DemoConfigOptions {
  /** Shipped assets root (repository or dist/). */
  assetRoot: string;
  /** Where the demo keeps its outbox and pump state. */
  stateDir: string;
  /** Status page port (8080 or the next free one). */
  httpPort: number;
  /** Embedded broker port (1883, or 0 = any free port when 1883 is taken). */
  mqttPort: number;
}

/**
 * The built-in demo configuration (what `wildfire-edge demo --print-config` prints). One camera
 * plays a shipped image sequence of a fire the camera slowly zooms toward (so the box grows, as a
 * spreading fire's does); consensus runs in single-camera mode (threshold 1: the demo has one
 * camera; a real site wants 2); the pump uses mock GPIO with timings shortened from minutes to
 * seconds so the whole sequence is visible within a minute.
 */
export function demoConfig(o: DemoConfigOptions): Record<string, unknown> {
  return {
    version: 1,
    node: { id: 'demo' },
    roles: ['camera', 'consensus', 'pump'],
    stateDir: o.stateDir,
    log: { level: 'info' },
    mqtt: { embedded: { host: '127.0.0.1', port: o.mqttPort } },
    cameras: [
      {
        id: 'demo-north',
        url: `dir://${join(o.assetRoot, 'deploy', 'demo', 'footage', 'fire-north')}`,
        fps: 2,
        width: 320,
        height: 240,
        loop: true,
      },
    ],
    // Single-camera mode, said loudly by the demo: a real site uses threshold 2 or more.
    consensus: { threshold: 1, windowSeconds: 30, cooldownSeconds: 120 },
    pump: {
      driver: 'mock',
      timings: {
        preOpenDelay: 2,
        ignitionOnLeadTime: 0.5,
        ignitionStartDuration: 2,
        primingDuration: 8,
        fireOffDelay: 15,
        rpmReductionDuration: 2,
        rpmReductionLead: 5,
        maxEngineRuntime: 45,
        ignitionOffDuration: 2,
        valveCloseDelay: 5,
        refillMultiplier: 1,
        maxRefillLockout: 30,
        cooldownDuration: 5,
      },
    },
    http: { host: '127.0.0.1', port: o.httpPort },
    telemetry: { intervalSeconds: 30, healthIntervalSeconds: 10 },
  };
}
