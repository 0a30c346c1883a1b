import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/cli/dispatch.js';

// In-process dispatch with captured output: the same code path minus process start-up (fast).
async function inproc(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), env });
  return { code, out, err };
}

// The CLI through tsx (fast; same code as the bundle). test/cli/bundle.test.ts runs the built bundle.
function cli(args: string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MQTT_URL: '', NODE_ID: '', LOG_LEVEL: '', ...env },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-cli-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('wildfire-edge CLI', () => {
  it('--help lists every command; --version prints the package version', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['run --config FILE', 'check-config FILE', 'demo', '--yes-on-a-pi', 'eval', '--version']) expect(h.out).toContain(c);
    const v = cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('every subcommand takes --help (exit 0, the usage with every flag)', async () => {
    for (const c of ['run', 'check-config', 'demo', 'config-docs']) {
      for (const flag of ['--help', '-h']) {
        const r = await inproc([c, flag]);
        expect(r.code, `${c} ${flag}`).toBe(0);
        for (const f of ['--config FILE', '--print-config', '--yes-on-a-pi', '--exit-on-valve', '--max-seconds N', '--write', '--log-format']) expect(r.out).toContain(f);
      }
    }
  });

  it('run without --config refuses to start with a clear message', () => {
    const r = cli(['run']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/refusing to start without --config FILE/);
  });

  it('check-config prints OK for a valid file (env overrides applied)', async () => {
    const p = file('ok.yaml', 'node: { id: pi-test }\nroles: [pump]\npump: { driver: mock }\n');
    const r = await inproc(['check-config', p], { MQTT_URL: 'mqtt://broker.lan:1883' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK .*node pi-test, roles pump, 0 camera\(s\), broker external \(env overrides: MQTT_URL\)/);
  });

  it('check-config lists every problem with key, value and what is allowed, exit 1', () => {
    const p = file('bad.yaml', 'roles: [pump, camera]\npump: { driver: relays }\nlog: { level: chatty }\ncameras: [{ id: "north gate", url: rtsp://x }]\n');
    const r = cli(['check-config', p]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('(3 problems)');
    expect(r.err).toMatch(/pump\.driver: got "relays"; .*"rpio"\|"gpiochip"\|"mock"\|"auto"/);
    expect(r.err).toMatch(/log\.level: got "chatty"; .*"info"/);
    expect(r.err).toMatch(/cameras\[0\]\.id: got "north gate"; camera ids match/);
  });

  it('run with an invalid config refuses to start (non-zero) and names the key', () => {
    const p = file('nodriver.yaml', 'roles: [pump]\n');
    const r = cli(['run', '--config', p]);
    expect(r.code).toBe(78); // EX_CONFIG: the unit does not restart on it (RestartPreventExitStatus=78)
    expect(r.err).toMatch(/pump\.driver: got \(missing\); required with the pump role/);
    expect(r.err).toMatch(/refusing to start/);
  });

  it('an invalid env override is reported like a file value', async () => {
    const p = file('ok.yaml', 'roles: [pump]\npump: { driver: mock }\n');
    const r = await inproc(['check-config', p], { LOG_LEVEL: 'verbose' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/log\.level: got "verbose"/);
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    expect((await inproc(['frobnicate'])).code).toBe(2);
    const r = await inproc(['check-config', '--nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--nope/);
  });

  it('demo refuses on a Raspberry Pi without --yes-on-a-pi', () => {
    const model = file('model', 'Raspberry Pi 5 Model B Rev 1.0\0');
    const r = cli(['demo'], { WFE_DEVICE_MODEL_FILE: model });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/refusing to run on a Raspberry Pi \(Raspberry Pi 5 Model B Rev 1\.0\) without --yes-on-a-pi/);
  });
});

describe('wildfire-edge eval', () => {
  it('delegates to the evaluation command (its usage, exit 0)', async () => {
    const r = await inproc(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: wildfire-edge eval --model FILE/);
  });
});
