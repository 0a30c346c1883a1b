import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dispatch } from '../../src/cli/dispatch.js';
import { createAppBus } from '../../src/bus/index.js';
import { parseConfigObject } from '../../src/config/index.js';
import { narrate, prettyLine } from '../../src/demo/index.js';
import { silentLogger } from '../../src/log/logger.js';

async function inproc(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), env });
  return { code, out, err };
}

describe('wildfire-edge demo', () => {
  it('--print-config prints a valid config: mock driver, threshold 1, shipped footage, embedded broker', async () => {
    const r = await inproc(['demo', '--print-config']);
    expect(r.code).toBe(0);
    const raw = parse(r.out) as Record<string, unknown>;
    const loaded = parseConfigObject(raw, 'demo', { env: {} });
    if (!loaded.ok) throw new Error(loaded.reason);
    const c = loaded.value.config;
    expect(c.pump.driver).toBe('mock');
    expect(c.consensus.threshold).toBe(1);
    expect(c.mqtt.url).toBeUndefined();
    expect(c.roles).toEqual(['camera', 'consensus', 'pump']);
    expect(c.cameras).toHaveLength(1);
    const dir = c.cameras[0].url.replace(/^dir:\/\//, '');
    expect(readdirSync(dir).filter((f) => f.endsWith('.jpg')).length).toBeGreaterThanOrEqual(12);
    // The pump sequence fits a minute: start-up and the stop path are seconds, not minutes.
    expect(c.pump.timings.preOpenDelay + c.pump.timings.ignitionStartDuration + c.pump.timings.primingDuration).toBeLessThan(20);
  });

  it('--print-config is allowed on a Pi; running the demo there needs --yes-on-a-pi', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const f = join(mkdtempSync(join(tmpdir(), 'wfe-pi-')), 'model');
    writeFileSync(f, 'Raspberry Pi 4 Model B Rev 1.4\0');
    expect((await inproc(['demo', '--print-config'], { WFE_DEVICE_MODEL_FILE: f })).code).toBe(0);
    const r = await inproc(['demo', '--max-seconds', '1'], { WFE_DEVICE_MODEL_FILE: f });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--yes-on-a-pi/);
    expect((await inproc(['demo', '--max-seconds', 'soon'])).code).toBe(2);
  });
});

describe('demo narrator', () => {
  it('tells detection, trigger, pump transitions and valve changes with times, and measures them', () => {
    const bus = createAppBus(silentLogger());
    let now = 0;
    const lines: string[] = [];
    const n = narrate({ bus, say: (l) => lines.push(l), elapsedMs: () => now });
    now = 3000;
    bus.emit('detections', { camera: 'c1', message: { v: 1, id: 'd1', node_id: 'n', ts: 1, camera_id: 'c1', detections: [{ label: 'fire', score: 0.8, box: [0.1, 0.1, 0.3, 0.6], track: 2 }] } as never });
    now = 3500; // a second detection within 5 s is not repeated
    bus.emit('detections', { camera: 'c1', message: { v: 1, id: 'd2', node_id: 'n', ts: 1, camera_id: 'c1', detections: [{ label: 'fire', score: 0.9, box: [0.1, 0.1, 0.3, 0.6], track: 2 }] } as never });
    now = 7000;
    bus.emit('trigger', { action: 'trigger', id: 't1', consensus_cameras: ['c1'] } as never);
    bus.emit('pump.event', { event: 'transition', from: 'IDLE', to: 'PRIMING', reason: 'trigger:bus' });
    now = 7100;
    bus.emit('pump.state', { state: 'PRIMING', outputs: { mainValve: true, primingValve: true } } as never);
    expect(lines).toEqual([
      '[demo +3.0 s] DETECTION camera c1: fire score 0.80, box 10.0 % of the frame (track 2)',
      '[demo +7.0 s] CONSENSUS TRIGGER: fire confirmed by c1; trigger t1 sent to the pump',
      '[demo +7.0 s] PUMP IDLE → PRIMING (trigger:bus)',
      '[demo +7.1 s] MAIN VALVE OPEN (mock pins on: mainValve, primingValve)',
    ]);
    expect(n.timings).toEqual({ firstDetectionMs: 3000, triggerMs: 7000, mainValveMs: 7100 });
    n.stop();
  });

  it('pretty log lines keep level, namespace, message and fields', () => {
    const line = prettyLine(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 0, 5), ns: 'pump', msg: 'GPIO driver is MOCK', driver: 'mock' }));
    expect(line).toBe('12:00:05 WARN  pump: GPIO driver is MOCK  driver=mock\n');
  });
});
