import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 12 item 2: the documented sequence, run for real in a clean Debian trixie root (chroot), as
// `sudo ~/wildfire-edge/deploy/install.sh` with nothing but a copy of dist/ in the Pi user's home.
// The root is a pristine `debootstrap --variant=minbase trixie` (test/deploy/trixie-root.sh builds it
// once and caches it as a tarball; every run extracts a fresh copy). Inside it everything is real —
// bash, coreutils, useradd/groupadd/usermod, chown, apt-cache with trixie's package lists, the
// installed bundle's check-config on Node.js — except what needs the network or a booted system:
// apt-get (its `install nodejs` puts this machine's node binary at /usr/bin/node, as Debian's
// package would), npm (`ci` hard-links the pinned native modules from this checkout) and
// systemctl/timedatectl (no systemd in a chroot). Those stand-ins record their calls.

const repo = resolve(__dirname, '../..');
const base = mkdtempSync(join(tmpdir(), 'wfe-chroot-'));
const root = join(base, 'root');
const calls = join(root, 'var/log/wfe-calls.log');

function standIn(name: string, body = 'exit 0'): void {
  const p = join(root, 'usr/local/sbin', name);
  writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >>/var/log/wfe-calls.log\n${body}\n`);
  chmodSync(p, 0o755);
}

beforeAll(() => {
  const tarball = execFileSync('bash', [join(__dirname, 'trixie-root.sh')], { encoding: 'utf8', timeout: 280_000 }).trim();
  mkdirSync(root);
  execFileSync('tar', ['-C', root, '-xf', tarball]);
  // The Pi: a Pi 4's device-tree model, Raspberry Pi OS's boot partition.
  mkdirSync(join(root, 'proc/device-tree'), { recursive: true });
  writeFileSync(join(root, 'proc/device-tree/model'), 'Raspberry Pi 4 Model B Rev 1.5\0');
  mkdirSync(join(root, 'boot/firmware'), { recursive: true });
  writeFileSync(join(root, 'boot/firmware/config.txt'), '[all]\narm_64bit=1\n');
  // `npm run build` elsewhere, then only dist/ copied to the Pi (scp -r dist pi@host:wildfire-edge).
  const dist = join(base, 'dist');
  execFileSync(process.execPath, ['build.mjs'], { cwd: repo, env: { ...process.env, WFE_BUILD_OUT: dist }, stdio: 'pipe' });
  cpSync(dist, join(root, 'home/pi/wildfire-edge'), { recursive: true });
  // What the stand-ins hand out: the node binary, and the native modules dist/package-lock.json pins.
  const stage = join(root, 'opt/wfe-stage');
  mkdirSync(join(stage, 'node_modules'), { recursive: true });
  cpSync(process.execPath, join(stage, 'node'));
  const lock = JSON.parse(readFileSync(join(dist, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  for (const key of Object.keys(lock.packages)) {
    if (!key || key.indexOf('/node_modules/') >= 0 || !existsSync(join(repo, key))) continue; // nested ones come with their parent; other platforms' binaries are absent
    mkdirSync(dirname(join(stage, key)), { recursive: true });
    // Hard links when the checkout and the temp dir share a file system; a copy otherwise.
    if (spawnSync('cp', ['-al', join(repo, key), join(stage, key)]).status !== 0) {
      rmSync(join(stage, key), { recursive: true, force: true });
      execFileSync('cp', ['-a', join(repo, key), join(stage, key)]);
    }
  }
  mkdirSync(join(root, 'usr/local/sbin'), { recursive: true });
  standIn('apt-get', 'case " $* " in *" install "*" nodejs "*) cp /opt/wfe-stage/node /usr/bin/node ;; esac');
  standIn('npm', 'prefix=""; while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix="$2"; shift; done\ncp -al /opt/wfe-stage/node_modules "$prefix/node_modules"');
  standIn('systemctl');
  standIn('timedatectl');
}, 300_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

function sudoInstall(): { code: number | null; out: string; err: string; calls: string[] } {
  writeFileSync(calls, '');
  const r = spawnSync('chroot', [root, '/usr/bin/env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8',
    'bash', '/home/pi/wildfire-edge/deploy/install.sh', '--node-id', 'pi-north'], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, calls: readFileSync(calls, 'utf8').split('\n').filter(Boolean) };
}

const inRoot = (p: string) => join(root, p);

describe('install.sh in a clean Debian trixie chroot, from a copy of dist/ only', () => {
  it('installs Node.js from the release, the user, the app and a config it refuses; the unit is enabled and started only after the owner edits it', () => {
    expect(existsSync(inRoot('usr/bin/node'))).toBe(false);
    const r = sudoInstall();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // trixie's real apt-cache said it packages Node.js 20, so the installer took Debian's nodejs.
    expect(r.calls).toContain('apt-get install -y --no-install-recommends nodejs npm');
    expect(r.calls).toContain('apt-get install -y --no-install-recommends ffmpeg build-essential python3');
    // Real useradd/groupadd/usermod in the trixie root.
    const passwd = readFileSync(inRoot('etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^wildfire-edge:x:\d+:\d+::\/var\/lib\/wildfire-edge:\/usr\/sbin\/nologin$/m);
    const group = readFileSync(inRoot('etc/group'), 'utf8');
    expect(group).toMatch(/^gpio:x:\d+:wildfire-edge$/m);
    expect(group).toMatch(/^video:x:\d+:wildfire-edge$/m);
    // The config: root:wildfire-edge 0640, as the unit's user needs to read it.
    const gid = Number(/^wildfire-edge:x:(\d+):/m.exec(group)?.[1]);
    const st = statSync(inRoot('etc/wildfire-edge/config.yaml'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, gid, 0o640]);
    expect(readFileSync(inRoot('opt/wildfire-edge/wildfire-edge.mjs'), 'utf8')).toBe(readFileSync(join(base, 'dist/wildfire-edge.mjs'), 'utf8'));
    expect(readFileSync(inRoot('etc/systemd/system/wildfire-edge.service'), 'utf8')).toBe(readFileSync(join(repo, 'deploy/wildfire-edge.service'), 'utf8'));
    // Debian's node path: no drop-in; the command on PATH runs the bundle with it.
    expect(existsSync(inRoot('etc/systemd/system/wildfire-edge.service.d/node.conf'))).toBe(false);
    expect(readFileSync(inRoot('usr/local/bin/wildfire-edge'), 'utf8')).toContain('exec /usr/bin/node /opt/wildfire-edge/wildfire-edge.mjs "$@"');
    // The installed bundle refused the written config; nothing enabled or started.
    expect(r.out).toMatch(/cameras\[0\]\.url: got .*placeholder value/);
    expect(r.out).toMatch(/pump\.pins\.confirmed: got \(missing\); pump\.driver rpio drives real relay pins/);
    expect(r.out).toContain('sudo wildfire-edge check-config /etc/wildfire-edge/config.yaml && sudo systemctl enable --now wildfire-edge');
    expect(r.calls.filter((c) => /^systemctl (enable|start|restart)( --now)? wildfire-edge/.test(c))).toEqual([]);

    // The next step as printed, by the command the installer put on PATH: still refused.
    const check = () => spawnSync('chroot', [root, '/usr/bin/env', '-i', 'PATH=/usr/local/bin:/usr/bin:/bin', 'wildfire-edge', 'check-config', '/etc/wildfire-edge/config.yaml'], { encoding: 'utf8', timeout: 30_000 });
    expect(check().status).toBe(1);
    // The owner edits the config: a real camera, pins checked against the wiring.
    const cfgPath = inRoot('etc/wildfire-edge/config.yaml');
    writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replace('rtsp://CHANGE-ME/stream', 'rtsp://viewer:pw@192.168.7.20/live').replace(/^pump:\n/m, 'pump:\n  pins: { confirmed: true }\n'));
    const ok = check();
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^OK \/etc\/wildfire-edge\/config\.yaml: node pi-north, roles camera, consensus, pump/);
    // Running the installer again now enables and (re)starts the unit, and installs Node.js no more.
    const again = sudoInstall();
    expect(again.code).toBe(0);
    expect(again.calls.some((c) => c.includes(' nodejs '))).toBe(false);
    expect(again.calls).toContain('systemctl enable wildfire-edge.service');
    expect(again.calls.indexOf('systemctl restart wildfire-edge.service')).toBeGreaterThan(again.calls.indexOf('systemctl enable wildfire-edge.service'));
  });
});
