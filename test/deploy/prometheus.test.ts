import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createApp, type App } from '../../src/app/index.js';
import { METRIC_SPECS } from '../../src/app/parts.js';
import { exportedName } from '../../src/http/prometheus.js';
import { parseConfigObject } from '../../src/config/index.js';
import { systemClock } from '../../src/core/clock.js';
import { demoConfig } from '../../src/demo/index.js';
import { memoryLogger } from '../../src/log/logger.js';
import { MockGpioDriver } from '../../src/pump/index.js';

/**
 * /metrics as Prometheus tooling reads it (issue 14 "Prometheus"): the demo node (camera, consensus
 * and pump roles, the real detector) after its trigger, checked by `promtool check metrics`; the
 * shipped alert rules by `promtool check rules` and their unit tests by `promtool test rules`; and
 * every metric the alerts and the Grafana dashboard use exists in what a node exports.
 */
const dir = resolve('deploy/prometheus');
let app: App;
let text = '';
let base = '';

function promtool(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', cwd: dir, timeout: 30_000 });
  if (r.error) throw new Error(`promtool not runnable (${r.error.message}): install Debian's prometheus (test/system-deps.txt)`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const scrape = async (): Promise<string> => (await fetch(`${base}metrics`)).text();
const series = (t: string, name: string): string[] => t.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
const value = (line: string): number => Number(line.slice(line.lastIndexOf(' ') + 1));

describe('Prometheus exposition and the shipped rules', () => {
  beforeAll(async () => {
    const cfg = demoConfig({ assetRoot: resolve('.'), stateDir: mkdtempSync(join(tmpdir(), 'wfe-prom-')), httpPort: 0, mqttPort: 0 });
    const r = parseConfigObject(cfg, 'demo', { env: {} });
    if (!r.ok) throw new Error(r.reason);
    app = createApp({ config: r.value.config, logger: memoryLogger('warn'), overrides: { pumpDriver: new MockGpioDriver({ clock: systemClock }) } });
    expect((await app.start()).ok).toBe(true);
    base = app.statusUrl() ?? '';
    // After the demo's trigger, so the trigger-time and run gauges carry values.
    expect(await until(async () => series(await scrape(), 'wfe_consensus_last_trigger_timestamp_seconds').some((l) => value(l) > 0), 40_000)).toBe(true);
    text = await scrape();
  }, 60_000);
  afterAll(async () => app?.stop('test'));

  it('promtool check metrics finds nothing to complain about', () => {
    const r = promtool(['check', 'metrics'], text);
    expect(r.out.trim()).toBe('');
    expect(r.code).toBe(0);
  });

  it('types, units and labels are declared, not guessed from names', () => {
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    for (const [name, type] of types) {
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
      if (type === 'gauge') expect(name, name).not.toMatch(/_total$/);
      expect(name, name).not.toMatch(/_(ms|mb|kb)(_|$)/);
    }
    // Counters that were exported as gauges (no _total in their key) are counters now.
    expect(types.get('wfe_consensus_triggers_total')).toBe('counter');
    expect(types.get('wfe_camera_detect_frames_processed_total')).toBe('counter');
    expect(types.get('wfe_notify_sent_total')).toBe('counter');
    // Base units.
    expect(types.get('wfe_camera_detect_inference_seconds_avg')).toBe('gauge');
    expect(types.get('wfe_telemetry_resident_memory_bytes')).toBe('gauge');
    // Labels say what they are; no generic `key` label, and nothing was left undeclared.
    expect(text).not.toMatch(/\{key="/);
    expect(series(text, 'wfe_camera_frames_total').every((l) => l.includes('camera="demo-north"'))).toBe(true);
    expect(series(text, 'wfe_metrics_undeclared')).toEqual([]);
  });

  it('state gauges people can alert on: pump state, armed, camera online, consensus state, health, outbox depth, last trigger', () => {
    const pump = series(text, 'wfe_pump_state');
    expect(pump.length).toBeGreaterThan(5);
    expect(pump.reduce((s, l) => s + value(l), 0)).toBe(1); // one-hot
    expect(series(text, 'wfe_pump_armed').map(value)).toEqual([1]);
    expect(series(text, 'wfe_camera_online').map((l) => [l.slice(0, l.lastIndexOf(' ')), value(l)])).toEqual([['wfe_camera_online{camera="demo-north"}', 1]]);
    expect(series(text, 'wfe_consensus_state').reduce((s, l) => s + value(l), 0)).toBe(1);
    expect(series(text, 'wfe_telemetry_health').reduce((s, l) => s + value(l), 0)).toBe(1);
    expect(series(text, 'wfe_mqtt_outbox_depth')).toHaveLength(1);
    const last = value(series(text, 'wfe_consensus_last_trigger_timestamp_seconds')[0]);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(120);
  });

  it('request metrics stay bounded: 300 random paths add one series, not 300', async () => {
    for (let i = 0; i < 300; i++) await fetch(`${base}scan-${Math.random().toString(36).slice(2)}`);
    const t = await scrape();
    const routes = series(t, 'wfe_http_requests_total');
    expect(routes.length).toBeLessThanOrEqual(8);
    expect(value(routes.find((l) => l.includes('route="other"'))!)).toBeGreaterThanOrEqual(300);
  });

  it('the alert rules pass promtool check rules and their unit tests', () => {
    const c = promtool(['check', 'rules', 'alerts.yml']);
    expect(c.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(c.code).toBe(0);
    const t = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(t.out).toMatch(/SUCCESS/);
    expect(t.code).toBe(0);
  });

  it('every metric the alerts and the Grafana dashboard query exists in what a node exports', () => {
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    exported.add('up');
    const rules = parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> };
    const dash = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exprs = [...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)), ...dash.panels.flatMap((p) => p.targets.map((t) => t.expr))];
    expect(exprs.length).toBeGreaterThan(20);
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(wfe_[a-z0-9_]+|up)\b/g)].map((m) => m[1])));
    // Exported here, or (for what needs a Pi's sensors) declared by its part and exported there.
    const piOnly = new Set(['wfe_telemetry_cpu_temperature_celsius']);
    const declared = new Set(Object.entries(METRIC_SPECS).flatMap(([part, specs]) => Object.entries(specs).map(([k, sp]) => exportedName('wfe', part, k, sp))));
    expect([...names].filter((n) => !exported.has(n) && !(piOnly.has(n) && declared.has(n)))).toEqual([]);
  });
});
