import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/cli/dispatch.js';
import { EXIT_CONFIG } from '../../src/cli/run.js';
import { isPlaceholder } from '../../src/config/placeholders.js';

// Issue 12 item 2: a config holding the installer's or the example's placeholders, or a real pump
// driver whose pins nobody confirmed, fails check-config and refuses `run`, naming the key and what
// to put there. The mock driver needs no confirmation (npm start, the test suites).

async function check(text: string): Promise<{ code: number; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-ph-'));
  const p = join(dir, 'config.yaml');
  writeFileSync(p, text);
  let out = '';
  let err = '';
  const code = await dispatch(['check-config', p], { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), env: {} });
  return { code, out, err };
}

/** What deploy/install.sh writes on a Pi 4 with --broker (kept in step with write_config there). */
const INSTALLER_CONFIG = `version: 1
node:
  id: pi-test
roles: [camera, consensus, pump]
mqtt:
  url: mqtts://broker.local:8883
  username: pi-test
  password: change-me        # as created with mosquitto_passwd on the broker
cameras:
  - id: cam1
    url: rtsp://CHANGE-ME/stream   # your camera's RTSP URL
    fps: 2
pump:
  driver: rpio            # chosen for this board by install.sh
`;

describe('placeholders and unconfirmed pump pins', () => {
  it("check-config refuses the installer's config, naming each placeholder and the pump pins, with what to edit", async () => {
    const r = await check(INSTALLER_CONFIG);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('(3 problems)');
    expect(r.err).toMatch(/cameras\[0\]\.url: got .*; placeholder value .*: replace it with your camera's stream URL/);
    expect(r.err).toMatch(/mqtt\.password: got .*; placeholder value .*mosquitto_passwd/);
    // The password itself is never echoed.
    expect(r.err).not.toMatch(/"change-me"/);
    expect(r.err).toMatch(/pump\.pins\.confirmed: got \(missing\); pump\.driver rpio drives real relay pins: .*activeLow.* then set pump\.pins\.confirmed: true/);
  });

  it('the same config with real values and confirmed pins passes', async () => {
    const fixed = INSTALLER_CONFIG.replace('rtsp://CHANGE-ME/stream', 'rtsp://viewer:pw@192.168.7.20/live')
      .replace('password: change-me', 'password: s3cret-Horse')
      .replace('driver: rpio ', 'pins: { confirmed: true }\n  driver: rpio ');
    const r = await check(fixed);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OK /);
  });

  it.each(['gpiochip', 'auto'])('driver %s needs pump.pins.confirmed: true too; confirmed: false is not enough', async (driver) => {
    const base = `roles: [pump]\npump:\n  driver: ${driver}\n`;
    expect((await check(base)).err).toMatch(new RegExp(`pump\\.pins\\.confirmed: got \\(missing\\); pump\\.driver ${driver} drives real relay pins`));
    expect((await check(`${base}  pins: { confirmed: false }\n`)).err).toMatch(/pump\.pins\.confirmed: got false;/);
    expect((await check(`${base}  pins: { confirmed: true, mainValve: { pin: 18, activeLow: true } }\n`)).code).toBe(0);
  });

  it('the mock driver, and a node without the pump role, need no confirmation', async () => {
    expect((await check('roles: [pump]\npump: { driver: mock }\n')).code).toBe(0);
    expect((await check('roles: [consensus]\npump: { driver: rpio }\n')).code).toBe(0);
  });

  it('placeholders are found in any key, in any case, also where the schema would fail anyway', async () => {
    const r = await check('roles: [consensus]\nlog: { level: chatty }\nnotify: { webhooks: [{ url: "https://ntfy.sh/my-secret-topic" }] }\nmqtt: { url: "mqtt://ChangeMe:1883" }\n');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/log\.level: got "chatty"/);
    expect(r.err).toMatch(/notify\.webhooks\[0\]\.url: got .*; placeholder value .*your own webhook URL/);
    expect(r.err).toMatch(/mqtt\.url: got .*; placeholder value/);
    // A word that merely contains the letters is not a placeholder.
    expect(isPlaceholder('rtsp://cam/exchangemeter')).toBe(false);
    expect(isPlaceholder('change_me')).toBe(true);
  });

  it('run refuses to start on a placeholder config with EX_CONFIG (78), the key and what to edit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-ph-'));
    const p = join(dir, 'config.yaml');
    writeFileSync(p, INSTALLER_CONFIG);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'run', '--config', p], {
      encoding: 'utf8',
      env: { ...process.env, MQTT_URL: '', NODE_ID: '', LOG_LEVEL: '', NOTIFY_SOCKET: '' },
      timeout: 30_000,
    });
    expect(r.status).toBe(EXIT_CONFIG);
    expect(EXIT_CONFIG).toBe(78);
    expect(r.stderr).toMatch(/cameras\[0\]\.url: got .*placeholder/);
    expect(r.stderr).toMatch(/pump\.pins\.confirmed/);
    expect(r.stderr).toContain(`refusing to start: edit ${p}`);
    expect(r.stderr).toContain(`wildfire-edge check-config ${p}`);
  });

  it('the unit does not restart on that status (RestartPreventExitStatus= names EXIT_CONFIG)', () => {
    const unit = readFileSync(resolve(__dirname, '../../deploy/wildfire-edge.service'), 'utf8');
    const prevent = /^RestartPreventExitStatus=(.+)$/m.exec(unit)?.[1].split(/\s+/);
    expect(prevent).toContain(String(EXIT_CONFIG));
    expect(unit).toMatch(/^Restart=always$/m);
  });
});
