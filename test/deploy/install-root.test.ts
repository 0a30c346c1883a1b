import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 12 item 2: the documented install sequence on a fresh Raspberry Pi OS trixie, run for real
// (not --dry-run) into a scratch root with `--root`:
//   - only dist/ (as `npm run build` makes it) is copied to the Pi, and its own deploy/install.sh runs;
//   - Node.js is not installed yet: the installer installs it (Debian's nodejs) before it needs it;
//   - every file is written by the real code path; the system commands (apt-get, apt-cache,
//     systemctl, useradd, npm, ...) are stand-ins on PATH that record their calls (fast, so the
//     refusal matrix below can run both modes; test/deploy/install-chroot.test.ts runs the same
//     sequence in a real debootstrap'ed trixie chroot, with real useradd/chown/apt-cache);
//   - the `npm ci` stand-in links this checkout's node_modules (same pinned native modules), so the
//     installer's check-config runs the real installed bundle on the real written config.
// The unit must not be enabled or started on the written config (placeholders, unconfirmed pins);
// after the owner edits it, running the installer again enables and starts it.

const repo = resolve(__dirname, '../..');
const base = mkdtempSync(join(tmpdir(), 'wfe-install-root-'));
const dist = join(base, 'build', 'dist');
const shims = join(base, 'shims');

/** Recording stand-in for a system command; `body` runs after the call is logged. */
function shim(name: string, body = 'exit 0'): void {
  const p = join(shims, name);
  writeFileSync(p, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >>"$WFE_CALLS"\n${body}\n`);
  chmodSync(p, 0o755);
}

beforeAll(() => {
  // `npm run build` into a directory outside the checkout.
  execFileSync(process.execPath, ['build.mjs'], { cwd: repo, env: { ...process.env, WFE_BUILD_OUT: dist }, stdio: 'pipe' });
  mkdirSync(shims, { recursive: true });
  for (const n of ['groupadd', 'useradd', 'usermod', 'userdel', 'chown', 'timedatectl', 'systemctl']) shim(n);
  // Nothing installed yet: no gpio group, no Node.js until apt-get installs it.
  shim('getent', 'exit 2');
  shim('apt-get', 'case " $* " in *" nodejs "*) : >"$WFE_STATE/nodejs-installed" ;; esac');
  shim('apt-cache', 'printf "nodejs:\\n  Installed: (none)\\n  Candidate: %s\\n" "$WFE_NODE_CANDIDATE"');
  shim('node', `[ -f "$WFE_STATE/nodejs-installed" ] || { echo "node: not found" >&2; exit 127; }\nexec "${process.execPath}" "$@"`);
  // npm ci --prefix DIR: the pinned native modules, from this checkout instead of the registry.
  shim('npm', 'prefix=""; while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix="$2"; shift; done\n' +
    `[ -n "$prefix" ] && ln -sfn "${join(repo, 'node_modules')}" "$prefix/node_modules"`);
  // The Pi's architecture; `id -u` as root (CI is root anyway; a developer's shell may not be).
  shim('uname', `[ "$1" = -m ] && { echo "$WFE_ARCH"; exit 0; }\nexec /usr/bin/uname "$@"`);
  shim('id', '[ "$#" -eq 1 ] && [ "$1" = -u ] && { echo 0; exit 0; }\nexec /usr/bin/id "$@"');
}, 60_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Pi {
  root: string;
  /** The copy of dist/ on the Pi (what `scp -r dist pi@host:wildfire-edge` makes). */
  home: string;
  state: string;
  calls: string;
}

function freshPi(name: string, o: { codename?: string; model?: string } = {}): Pi {
  const dir = join(base, name);
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), `PRETTY_NAME="Debian GNU/Linux 13 (${o.codename ?? 'trixie'})"\nVERSION_CODENAME=${o.codename ?? 'trixie'}\n`);
  mkdirSync(join(root, 'proc/device-tree'), { recursive: true });
  writeFileSync(join(root, 'proc/device-tree/model'), `${o.model ?? 'Raspberry Pi 4 Model B Rev 1.5'}\0`);
  mkdirSync(join(root, 'boot/firmware'), { recursive: true });
  writeFileSync(join(root, 'boot/firmware/config.txt'), '[all]\narm_64bit=1\n');
  const home = join(dir, 'home/pi/wildfire-edge');
  cpSync(dist, home, { recursive: true });
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true });
  return { root, home, state, calls: join(dir, 'calls.log') };
}

interface Run { code: number | null; out: string; err: string; calls: string[] }

function installer(pi: Pi, args: string[], o: { arch?: string; nodeCandidate?: string; nodeInstalled?: boolean } = {}): Run {
  if (o.nodeInstalled) writeFileSync(join(pi.state, 'nodejs-installed'), '');
  writeFileSync(pi.calls, '');
  const r = spawnSync('bash', [join(pi.home, 'deploy/install.sh'), '--root', pi.root, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: `${shims}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: pi.home,
      WFE_CALLS: pi.calls,
      WFE_STATE: pi.state,
      WFE_ARCH: o.arch ?? 'aarch64',
      WFE_NODE_CANDIDATE: o.nodeCandidate ?? '20.19.2+dfsg-1',
    },
  });
  return { code: r.status, out: r.stdout, err: r.stderr, calls: readFileSync(pi.calls, 'utf8').split('\n').filter(Boolean) };
}

const read = (pi: Pi, p: string) => readFileSync(join(pi.root, p), 'utf8');

describe('install.sh --root: the documented sequence on a fresh trixie Pi, only dist/ copied', () => {
  it('installs Node.js first, then the app; does not enable the unit on the placeholder config; enables and starts it once the owner has edited it', () => {
    const pi = freshPi('pi4');
    const r = installer(pi, ['--node-id', 'pi-north']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // Node.js comes from the release before anything needs it; the native modules after it.
    const at = (prefix: string) => r.calls.findIndex((c) => c.startsWith(prefix));
    expect(at('apt-get install -y --no-install-recommends nodejs npm')).toBeGreaterThan(at('apt-get update'));
    expect(at('apt-get install -y --no-install-recommends ffmpeg build-essential python3')).toBeGreaterThan(at('apt-get install -y --no-install-recommends nodejs'));
    expect(at(`npm ci --omit=dev --no-audit --no-fund --prefix ${pi.root}/opt/wildfire-edge`)).toBeGreaterThan(at('apt-get install -y --no-install-recommends ffmpeg'));
    expect(r.calls).toContain('useradd --system --user-group --home-dir /var/lib/wildfire-edge --no-create-home --shell /usr/sbin/nologin wildfire-edge');
    // The files, from dist/ alone (its deploy/ carries the unit and the example config).
    expect(read(pi, 'opt/wildfire-edge/wildfire-edge.mjs')).toBe(readFileSync(join(dist, 'wildfire-edge.mjs'), 'utf8'));
    expect(existsSync(join(pi.root, 'opt/wildfire-edge/detect-worker.mjs'))).toBe(true);
    expect(read(pi, 'opt/wildfire-edge/config.example.yaml')).toBe(readFileSync(join(repo, 'deploy/config.example.yaml'), 'utf8'));
    // The editor schema the installed config's modeline names.
    expect(read(pi, 'opt/wildfire-edge/config.schema.json')).toBe(readFileSync(join(repo, 'deploy/config.schema.json'), 'utf8'));
    expect(read(pi, 'etc/wildfire-edge/config.yaml')).toMatch(/^# yaml-language-server: \$schema=\/opt\/wildfire-edge\/config.schema.json$/m);
    expect(read(pi, 'etc/systemd/system/wildfire-edge.service')).toBe(readFileSync(join(repo, 'deploy/wildfire-edge.service'), 'utf8'));
    const cfg = read(pi, 'etc/wildfire-edge/config.yaml');
    expect(cfg).toContain('url: rtsp://CHANGE-ME/stream');
    expect(cfg).toMatch(/^ {2}driver: rpio/m);
    expect(cfg).not.toMatch(/^[^#\n]*confirmed:\s*true/m);
    // The installed bundle's own check-config refused it, and said so with what to edit.
    expect(r.out).toMatch(/cameras\[0\]\.url: got .*placeholder value/);
    expect(r.out).toMatch(/pump\.pins\.confirmed: got \(missing\); pump\.driver rpio drives real relay pins/);
    expect(r.out).toContain('installed, but NOT enabled or started');
    expect(r.out).toContain('sudo wildfire-edge check-config /etc/wildfire-edge/config.yaml && sudo systemctl enable --now wildfire-edge');
    expect(r.calls.filter((c) => /^systemctl (enable|start|restart)( --now)? wildfire-edge/.test(c))).toEqual([]);
    expect(r.calls).toContain('systemctl daemon-reload');

    // The owner puts in the camera and confirms the pins; the installer run again now enables and
    // (re)starts the unit, after its check-config passed.
    writeFileSync(join(pi.root, 'etc/wildfire-edge/config.yaml'), cfg.replace('rtsp://CHANGE-ME/stream', 'rtsp://viewer:pw@192.168.7.20/live').replace(/^pump:\n/m, 'pump:\n  pins: { confirmed: true }\n'));
    const again = installer(pi, ['--node-id', 'pi-north']);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toContain('keeping existing /etc/wildfire-edge/config.yaml');
    expect(again.out).toMatch(/check-config: OK .*node pi-north, roles camera, consensus, pump/);
    // Already there: Node.js is not installed again. Upgrade order: stop, replace, enable, restart.
    expect(again.calls.some((c) => c.includes(' nodejs '))).toBe(false);
    const i = (c: string) => again.calls.indexOf(c);
    expect(i('systemctl stop wildfire-edge.service')).toBeGreaterThanOrEqual(0);
    expect(i('systemctl stop wildfire-edge.service')).toBeLessThan(i(`npm ci --omit=dev --no-audit --no-fund --prefix ${pi.root}/opt/wildfire-edge`));
    expect(i('systemctl enable wildfire-edge.service')).toBeGreaterThan(i('systemctl daemon-reload'));
    expect(i('systemctl restart wildfire-edge.service')).toBeGreaterThan(i('systemctl enable wildfire-edge.service'));
  });

  it('a mock-driver node still needs its camera filled in, but no pin confirmation', () => {
    const pi = freshPi('mock');
    const r = installer(pi, ['--node-id', 'dev', '--driver', 'mock'], { arch: 'x86_64', nodeInstalled: true });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/cameras\[0\]\.url: got .*placeholder value/);
    expect(r.out).not.toContain('pump.pins.confirmed');
    expect(r.calls.filter((c) => /^systemctl (enable|restart) wildfire-edge/.test(c))).toEqual([]);
    const cfg = read(pi, 'etc/wildfire-edge/config.yaml').replace('rtsp://CHANGE-ME/stream', 'rtsp://cam.lan/live');
    writeFileSync(join(pi.root, 'etc/wildfire-edge/config.yaml'), cfg);
    const again = installer(pi, ['--node-id', 'dev', '--driver', 'mock'], { arch: 'x86_64' });
    expect(again.calls).toContain('systemctl enable wildfire-edge.service');
  });
});

describe('install.sh --dry-run with the real dist/', () => {
  it('runs the same check-config step; without the native modules (a dry run installs none) it says so and enables nothing', () => {
    const pi = freshPi('dry-real-dist');
    const r = installer(pi, ['--dry-run', '--node-id', 'pi-north'], { nodeInstalled: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`+ npm ci --omit=dev --no-audit --no-fund --prefix ${pi.root}/opt/wildfire-edge`);
    expect(r.out).toMatch(/Cannot find package 'onnxruntime-node'/);
    expect(r.out).toContain('NOT enabled or started: check-config could not run');
    expect(r.out).not.toMatch(/^\+ systemctl (enable|start|restart) wildfire-edge/m);
    // A dry run runs no command at all (the read-only apt-cache/node look-ups aside).
    expect(r.calls.filter((c) => !/^(apt-cache|node|uname|id|getent) /.test(c))).toEqual([]);
  });
});

describe('install.sh: --dry-run refuses exactly where the real run refuses, before changing anything', () => {
  const cases: Array<{ name: string; pi: { codename?: string; model?: string }; args: string[]; run: { arch?: string; nodeCandidate?: string; nodeInstalled?: boolean }; error: RegExp }> = [
    { name: 'Pi 5 pump on bookworm', pi: { codename: 'bookworm', model: 'Raspberry Pi 5 Model B Rev 1.0' }, args: [], run: { nodeInstalled: true }, error: /a Pi 5 pump needs Raspberry Pi OS trixie/ },
    { name: 'Pi 5 on bookworm with --driver auto (it picks gpiochip at start)', pi: { codename: 'bookworm', model: 'Raspberry Pi 5 Model B Rev 1.0' }, args: ['--driver', 'auto'], run: { nodeInstalled: true }, error: /a Pi 5 pump needs Raspberry Pi OS trixie/ },
    { name: 'bookworm packages Node.js 18 and no Node.js >= 20 is installed', pi: { codename: 'bookworm' }, args: [], run: { nodeCandidate: '18.19.0+dfsg-6~deb12u2' }, error: /this release packages Node\.js 18; wildfire-edge needs >= 20/ },
    { name: '32-bit OS', pi: {}, args: [], run: { arch: 'armv7l', nodeInstalled: true }, error: /64-bit OS required/ },
  ];
  it.each(cases)('$name', ({ name, pi: machine, args, run, error }) => {
    for (const mode of ['real', 'dry'] as const) {
      const pi = freshPi(`${name.replace(/\W+/g, '-')}-${mode}`, machine);
      const r = installer(pi, [...(mode === 'dry' ? ['--dry-run'] : []), ...args], run);
      expect(r.code, `${mode}: ${r.out}`).toBe(1);
      expect(r.err, mode).toMatch(error);
      // Nothing ran and nothing was written.
      expect(r.calls.filter((c) => /^(apt-get|npm|useradd|groupadd|systemctl) /.test(c)), mode).toEqual([]);
      expect(r.out, mode).not.toMatch(/^\+ (apt-get|npm|useradd|systemctl)/m);
      expect(existsSync(join(pi.root, 'opt/wildfire-edge')), mode).toBe(false);
      expect(existsSync(join(pi.root, 'etc/wildfire-edge')), mode).toBe(false);
    }
  });
});
