import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const deploy = resolve(__dirname, '../../deploy');
const unitPath = join(deploy, 'wildfire-edge.service');

/** Minimal systemd unit parser: section → key → every value (keys may repeat). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    expect(eq, `bad line: ${line}`).toBeGreaterThan(0);
    const k = line.slice(0, eq).trim();
    (out[section][k] ??= []).push(line.slice(eq + 1).trim());
  }
  return out;
}

describe('deploy/wildfire-edge.service', () => {
  const unit = parseUnit(readFileSync(unitPath, 'utf8'));
  const svc = unit.Service;
  const one = (k: string) => {
    expect(svc[k], k).toBeDefined();
    return svc[k].at(-1);
  };

  it('is a notify service with a main-thread watchdog, always restarted', () => {
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('all');
    expect(one('Restart')).toBe('always');
    expect(Number.parseInt(one('WatchdogSec')!, 10)).toBeGreaterThan(0);
    const stop = Number.parseInt(one('TimeoutStopSec')!, 10);
    expect(stop).toBeGreaterThan(0);
    expect(stop).toBeLessThanOrEqual(60);
    expect(unit.Unit.StartLimitIntervalSec).toEqual(['0']);
    expect(unit.Install.WantedBy).toEqual(['multi-user.target']);
  });

  it('runs the bundle with the system config as an unprivileged user in the gpio group', () => {
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/wildfire-edge/wildfire-edge.mjs run --config /etc/wildfire-edge/config.yaml');
    expect(one('User')).toBe('wildfire-edge');
    expect(one('Group')).toBe('wildfire-edge');
    expect(one('SupplementaryGroups')!.split(/\s+/)).toContain('gpio');
    expect(one('StateDirectory')).toBe('wildfire-edge');
    expect(one('ConfigurationDirectory')).toBe('wildfire-edge');
    expect(svc.Environment).toContain('MALLOC_ARENA_MAX=2');
  });

  it('is hardened but can reach the GPIO devices', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ReadWritePaths')).toBe('/var/lib/wildfire-edge');
    expect(one('DevicePolicy')).toBe('closed');
    expect(svc.DeviceAllow).toEqual(expect.arrayContaining(['/dev/gpiomem rw', 'char-gpiochip rw']));
    expect(svc.CapabilityBoundingSet).toEqual(['']);
    // V8's JIT needs writable+executable memory; PrivateDevices would hide /dev/gpiomem.
    expect(svc.MemoryDenyWriteExecute).toBeUndefined();
    expect(svc.PrivateDevices).toBeUndefined();
  });

  it('passes systemd-analyze verify without warnings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-unit-'));
    const copy = join(dir, 'wildfire-edge.service');
    let text = readFileSync(unitPath, 'utf8');
    // verify checks that ExecStart's binary exists; point it at this machine's node when needed.
    if (!existsSync('/usr/bin/node')) text = text.replace('/usr/bin/node ', `${process.execPath} `);
    writeFileSync(copy, text);
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // And verify really checks: a broken copy fails.
    writeFileSync(join(dir, 'broken.service'), text.replace(/^Type=notify$/m, 'Type=notifyy'));
    const bad = spawnSync('systemd-analyze', ['verify', join(dir, 'broken.service')], { encoding: 'utf8' });
    expect(bad.stderr).toContain('Failed to parse service type');
  });
});

describe('deploy scripts', () => {
  const scripts = [join(deploy, 'install.sh'), join(deploy, 'mosquitto/make-certs.sh')];

  it.each(scripts)('%s is shellcheck-clean, executable, with a bash shebang and strict mode', (s) => {
    const r = spawnSync('shellcheck', ['--severity=style', s], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statSync(s).mode & 0o111).not.toBe(0);
    const text = readFileSync(s, 'utf8');
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toContain('set -euo pipefail');
  });

  it('no private key, certificate or password file is committed under deploy/', () => {
    const r = spawnSync('git', ['ls-files', deploy], { encoding: 'utf8', cwd: deploy });
    expect(r.status).toBe(0);
    const files = r.stdout.split('\n').filter(Boolean);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f).not.toMatch(/\.(key|pem|crt|csr|passwd)$/);
    for (const f of files) {
      const full = resolve(deploy, '..', f);
      if (existsSync(full) && statSync(full).isFile()) expect(readFileSync(full, 'utf8')).not.toContain('PRIVATE KEY-----');
    }
  });
});
