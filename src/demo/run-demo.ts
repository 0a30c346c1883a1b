import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { assetRoot } from '../app/paths.js';
import { parseConfigObject } from '../config/index.js';
import { systemClock, type TimerHandle } from '../core/clock.js';
import { createLogger } from '../log/logger.js';
import { runLoaded } from '../cli/run.js';
import { demoConfig } from './demo-config.js';
import { narrate, type DemoTimings } from './narrator.js';
import { prettyDestination } from './pretty-log.js';

/** Options for {@link runDemo}. */
export interface DemoOptions {
  /** Print the config the demo would use and return. */
  printConfig: boolean;
  /** Stop the demo (exit 0) once the main valve has opened, after the summary (tests, measuring). */
  exitOnValve: boolean;
  /** Stop the demo after this many seconds even without a trigger (exit 1 when nothing triggered). */
  maxSeconds?: number;
  out: (text: string) => void;
  env: Record<string, string | undefined>;
}

async function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

const BANNER = (brokerPort: number | string, cameraDir: string): string => `
================================================================================
 wildfire-edge DEMO
  * GPIO driver: MOCK. No relay is switched; the pump sequence is simulated.
  * Consensus threshold: 1 (single-camera demo). A real site needs 2 or more
    cameras agreeing; set consensus.threshold accordingly.
  * Embedded MQTT broker on 127.0.0.1:${brokerPort}; demo footage: ${cameraDir}
  * Pump timings shortened from minutes to seconds so the sequence fits a minute.
 Watch for DETECTION, CONSENSUS TRIGGER and PUMP lines. Ctrl-C stops the demo.
================================================================================`;

/** Run the built-in demo (`npm start`); resolves with the exit code. */
export async function runDemo(o: DemoOptions): Promise<number> {
  const root = assetRoot();
  const mqttPort = (await portFree(1883)) ? 1883 : 0;
  const printOnly = o.printConfig;
  const stateDir = printOnly ? join(tmpdir(), 'wfe-demo-XXXXXX') : mkdtempSync(join(tmpdir(), 'wfe-demo-'));
  const raw = demoConfig({ assetRoot: root, stateDir, httpPort: 8080, mqttPort });
  if (printOnly) {
    o.out(`# wildfire-edge demo config (generated; state dir is a fresh temporary directory per run)\n${stringify(raw)}`);
    return 0;
  }
  // Env overrides are ignored on purpose: the demo is always the same demo (MQTT_URL would make
  // it publish mock pump states to a real site's broker).
  const loaded = parseConfigObject(raw, 'demo', { env: {} });
  if (!loaded.ok) {
    o.out(`demo config is invalid (a bug): ${loaded.reason}`);
    return 1;
  }
  const started = Date.now();
  const pretty = createLogger({ level: 'info', destination: prettyDestination(o.out) }, '');
  o.out(BANNER(mqttPort || 'a free port', join(root, 'deploy', 'demo', 'footage', 'fire-north')));
  let timings: DemoTimings | null = null;
  let stopNarrator: (() => void) | null = null;
  let timer: TimerHandle | null = null;
  let triggered = false;
  const summary = (): void => {
    const s = (ms: number | null): string => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
    if (timings) o.out(`[demo] summary: first detection ${s(timings.firstDetectionMs)}, consensus trigger ${s(timings.triggerMs)}, main valve open ${s(timings.mainValveMs)} after start`);
  };
  const code = await runLoaded(loaded.value, pretty, {
    overrides: { httpPortSearch: 20 },
    onCreated: (app) => {
      const n = narrate({ bus: app.bus, say: o.out, elapsedMs: () => Date.now() - started });
      timings = n.timings;
      stopNarrator = n.stop;
      if (o.exitOnValve) {
        app.bus.on('pump.state', 'demo.exit', (p) => {
          if (p.outputs?.mainValve && !triggered) {
            triggered = true;
            // Let the sequence be seen for a moment, then stop like Ctrl-C would.
            setTimeout(() => process.kill(process.pid, 'SIGINT'), 500).unref();
          }
        });
      }
      if (o.maxSeconds) {
        // Through the clock: a --max-seconds beyond setTimeout's 24.8 days is chained, not fired at once.
        timer = systemClock.setTimer(o.maxSeconds * 1000, () => process.kill(process.pid, 'SIGINT'));
      }
    },
    onStarted: (app) => {
      o.out(`[demo] status page: ${app.statusUrl() ?? '(not available: see the log above)'}`);
    },
  });
  (timer as TimerHandle | null)?.cancel();
  (stopNarrator as (() => void) | null)?.();
  summary();
  rmSync(stateDir, { recursive: true, force: true });
  if (code !== 0) return code;
  return o.maxSeconds && !(timings as DemoTimings | null)?.mainValveMs ? 1 : 0;
}
