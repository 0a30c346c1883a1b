import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestMosquitto } from '../helpers/mosquitto.js';
import { FOOTAGE, SHORT_PUMP_TIMINGS, waitFor } from './harness.js';

// The shipped artefact (issue 7 "Deployment"): `npm run build` into a directory outside the
// repository, `npm ci --omit=dev` there (the Pi's install step), then the bundle runs on its own:
// --help, the demo (camera → consensus → pump on mock pins) and the two-camera e2e against Mosquitto.
//
// `npm ci` in the copy takes ~40 s from the registry. Its node_modules is cached in the system temp
// directory under the hash of dist/package-lock.json, so the suite pays that once per machine
// (the first run needs the npm registry or a warm npm cache; later runs copy the cache).
const work = mkdtempSync(join(tmpdir(), 'wfe-dist-'));
const dist = join(work, 'wildfire-edge');
const env = { ...process.env, NOTIFY_SOCKET: '', WATCHDOG_USEC: '', MQTT_URL: '', NODE_ID: '', LOG_LEVEL: '' };

function installDeps(): void {
  const lock = readFileSync(join(dist, 'package-lock.json'));
  const cache = join(tmpdir(), `wfe-dist-modules-${createHash('sha256').update(lock).digest('hex').slice(0, 16)}`);
  if (!existsSync(join(cache, 'node_modules', 'sharp'))) {
    rmSync(cache, { recursive: true, force: true });
    // Strict: an install script not named in dist/package.json's allowScripts fails the install, and
    // without ONNXRUNTIME_NODE_INSTALL the CUDA download stays off by allowScripts alone.
    execFileSync('npm', ['ci', '--omit=dev', '--strict-allow-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dist, stdio: 'pipe', timeout: 240_000, env: { ...env, ONNXRUNTIME_NODE_INSTALL: '' } });
    cpSync(join(dist, 'node_modules'), join(cache, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  } else {
    // Same tree as `npm ci` produced for this exact lockfile; a symlink avoids copying ~300 MB.
    symlinkSync(join(cache, 'node_modules'), join(dist, 'node_modules'), 'dir');
  }
}

function runBundle(args: string[], timeout = 30_000): { code: number | null; out: string; err: string } {
  // cwd outside both the repository and dist: assets must resolve relative to the bundle.
  const r = spawnSync(process.execPath, [join(dist, 'wildfire-edge.mjs'), ...args], { cwd: work, env, encoding: 'utf8', timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('dist/ outside the repository', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['build.mjs'], { env: { ...env, WFE_BUILD_OUT: dist }, stdio: 'pipe' });
    installDeps();
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the bundle, the worker, the model, the demo footage and pinned native deps', () => {
    for (const f of ['wildfire-edge.mjs', 'detect-worker.mjs', 'models/wfe-firesmoke-320.onnx', 'models/wfe-firesmoke-320.json', 'deploy/demo/footage/fire-north/000.jpg', 'package.json', 'package-lock.json']) {
      expect(existsSync(join(dist, f)), f).toBe(true);
    }
    // What install.sh reads beside itself (issue 12): copying only dist/ to a Pi is enough.
    for (const f of ['install.sh', 'wildfire-edge.service', 'config.example.yaml', 'mosquitto/mosquitto.conf', 'mosquitto/acl']) {
      expect(readFileSync(join(dist, 'deploy', f), 'utf8'), f).toBe(readFileSync(join('deploy', f), 'utf8'));
    }
    expect(statSync(join(dist, 'deploy/install.sh')).mode & 0o111).not.toBe(0);
    const pkg = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies: Record<string, string> };
    const root = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version: string }> };
    expect(pkg.dependencies).toEqual({ 'onnxruntime-node': root.packages['node_modules/onnxruntime-node'].version, sharp: root.packages['node_modules/sharp'].version });
    expect(Object.keys(pkg.optionalDependencies)).toEqual(['rpio']);
    expect((pkg as { allowScripts?: Record<string, boolean> }).allowScripts).toEqual({ rpio: true, 'onnxruntime-node': false });
    expect(readFileSync(join(dist, '.npmrc'), 'utf8')).not.toMatch(/onnxruntime-node-install/);
  });

  it('node wildfire-edge.mjs --help / --version work after npm ci --omit=dev', () => {
    const h = runBundle(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('check-config FILE');
    const v = runBundle(['--version']);
    expect(v.out.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('the demo runs from the copy: detection, consensus trigger, main valve open on mock pins', () => {
    const p = runBundle(['demo', '--print-config']);
    expect(p.out).toContain(`dir://${join(dist, 'deploy', 'demo', 'footage', 'fire-north')}`);
    const r = runBundle(['demo', '--exit-on-valve', '--max-seconds', '90'], 120_000);
    expect(r.out).toContain('GPIO driver: MOCK');
    expect(r.out).toMatch(/DETECTION camera demo-north: (fire|smoke)/);
    expect(r.out).toContain('CONSENSUS TRIGGER');
    expect(r.out).toContain('MAIN VALVE OPEN');
    expect(r.code).toBe(0);
    const figure = /\[demo\] summary: .*/.exec(r.out)?.[0];
    if (figure) console.log(`[demo figure, bundle] ${figure}`);
  }, 150_000);

  describe('two-camera e2e through the bundle', () => {
    const broker = new TestMosquitto();
    beforeAll(() => broker.start());
    afterAll(() => broker.stop());

    it('run --config: both cameras see fire → trigger → pump/<node>/state shows the main valve open; SIGTERM leaves every output off', async () => {
      const cfg = join(work, 'e2e.yaml');
      writeFileSync(cfg, JSON.stringify({
        node: { id: 'bundle-node' },
        stateDir: join(work, 'state'),
        mqtt: { url: broker.url, backoff: { baseMs: 100, capMs: 500 } },
        cameras: [
          { id: 'north', url: `dir://${FOOTAGE.fireNorthDir}`, fps: 2, width: 320, height: 240, loop: true },
          { id: 'east', url: FOOTAGE.fireEastMp4, fps: 2, width: 320, height: 240, loop: true },
        ],
        consensus: { threshold: 2 },
        pump: { driver: 'mock', timings: SHORT_PUMP_TIMINGS },
        http: { enabled: false },
      }));
      const states: Array<{ state: string; outputs: Record<string, boolean> }> = [];
      const triggers: unknown[] = [];
      const sub = mqtt.connect(broker.url, { protocolVersion: 4 });
      await new Promise<void>((resolve) => sub.once('connect', () => sub.subscribe(['pump/bundle-node/state', 'fire/trigger'], { qos: 1 }, () => resolve())));
      sub.on('message', (topic, payload) => {
        const m = JSON.parse(payload.toString()) as { state: string; outputs: Record<string, boolean> };
        if (topic === 'fire/trigger') triggers.push(m);
        else states.push(m);
      });
      const child = spawn(process.execPath, [join(dist, 'wildfire-edge.mjs'), 'run', '--config', cfg], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      try {
        const opened = await waitFor(() => states.some((s) => s.outputs?.mainValve === true), 60_000);
        if (!opened) console.log(log.slice(-4000));
        expect(opened).toBe(true);
        // The trigger goes through the durable outbox (fsync before send), the retained pump state
        // does not, so the state can arrive first.
        expect(await waitFor(() => triggers.length >= 1, 15_000)).toBe(true);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      // The final retained state after a clean stop: every output off.
      const last = states[states.length - 1];
      expect(Object.values(last.outputs).every((v) => v === false)).toBe(true);
      sub.end(true);
    }, 120_000);
  });
});
