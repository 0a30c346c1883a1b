import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigObject, type ConfigEnvironment } from '../../src/config/index.js';

const envi: ConfigEnvironment = { hostname: 'Pi.North Gate', cwd: '/srv/wfe' };
const minimal = { pump: { driver: 'mock' }, cameras: [{ id: 'north', url: 'rtsp://cam/1' }] };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'wfe-config-'));
}

describe('composed config', () => {
  it('fills defaults: node.id from the sanitised hostname, all roles, stateDir under ./var/<id>', () => {
    const r = parseConfigObject(minimal, 't', { environment: envi });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.config.node.id).toBe('pi-north-gate');
    expect(r.value.config.roles).toEqual(['camera', 'consensus', 'pump']);
    expect(r.value.config.stateDir).toBe('/srv/wfe/var/pi-north-gate');
    expect(r.value.config.log.level).toBe('info');
    expect(r.value.config.homeassistant.discovery).toBe(false);
    expect(r.value.config.version).toBe(1);
  });

  it('refuses a persistent session shorter than what is queued for the node stays valid (issue 17)', () => {
    const cfg = (session: object) => ({ ...minimal, mqtt: { url: 'mqtt://broker:1883', session }, consensus: { triggerTtlSeconds: 600 } });
    const r = parseConfigObject(cfg({ expirySeconds: 300 }), 't', { environment: envi });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.key)).toEqual(['mqtt.session.expirySeconds']);
    expect(r.problems[0].allowed).toMatch(/at least 600 \(consensus.triggerTtlSeconds 600/);
    expect(parseConfigObject(cfg({ expirySeconds: 600 }), 't', { environment: envi }).ok).toBe(true);
    expect(parseConfigObject(cfg({ expirySeconds: 300, persistent: false }), 't', { environment: envi }).ok).toBe(true);
  });

  it('prefers $STATE_DIRECTORY, then an explicit stateDir', () => {
    const a = parseConfigObject(minimal, 't', { environment: { ...envi, stateDirectory: '/var/lib/wildfire-edge' } });
    expect(a.ok && a.value.config.stateDir).toBe('/var/lib/wildfire-edge');
    const b = parseConfigObject({ ...minimal, stateDir: '/data' }, 't', { environment: { ...envi, stateDirectory: '/var/lib/x' } });
    expect(b.ok && b.value.config.stateDir).toBe('/data');
  });

  it('refuses the pump role without pump.driver, naming the key and the choices', () => {
    const r = parseConfigObject({ roles: ['pump'] }, 't', { environment: envi });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0].key).toBe('pump.driver');
    expect(r.problems[0].allowed).toMatch(/rpio, gpiochip, mock or auto/);
  });

  it('refuses the camera role without cameras, accepts a pump-only node without them', () => {
    const r = parseConfigObject({ roles: ['camera'] }, 't', { environment: envi });
    expect(!r.ok && r.problems.map((p) => p.key)).toEqual(['cameras']);
    expect(parseConfigObject({ roles: ['pump'], pump: { driver: 'mock' } }, 't', { environment: envi }).ok).toBe(true);
  });

  it('reports every problem at once with key, value and what is allowed, secrets redacted', () => {
    const r = parseConfigObject(
      {
        roles: ['camera', 'sprinkler'],
        log: { level: 'loud' },
        cameras: [{ id: 'bad id', url: 'rtsp://cam' }],
        pumps: { driver: 'mock' },
        pump: { driver: 'relay' },
        mqtt: { password: 12345678 },
      },
      'site.yaml',
      { environment: envi },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const keys = r.problems.map((p) => p.key).sort();
    expect(keys).toEqual(['cameras[0].id', 'log.level', 'mqtt.password', 'pump.driver', 'pumps', 'roles[1]']);
    const level = r.problems.find((p) => p.key === 'log.level')!;
    expect(level.value).toBe('"loud"');
    expect(level.allowed).toMatch(/info/);
    expect(r.problems.find((p) => p.key === 'pump.driver')!.allowed).toMatch(/mock/);
    expect(r.problems.find((p) => p.key === 'pumps')!.allowed).toMatch(/unknown key/);
    expect(r.reason).toContain('site.yaml (6 problems)');
    expect(r.reason).not.toContain('12345678');
  });

  it('a misspelt key is refused in every section, not silently ignored (mqtt.urll ran on the embedded broker)', () => {
    const sections: Array<[string, Record<string, unknown>]> = [
      ['mqtt.urll', { mqtt: { urll: 'mqtt://broker.lan' } }],
      ['mqtt.outbox.maxMesages', { mqtt: { outbox: { maxMesages: 5 } } }],
      ['mqtt.backoff.intial', { mqtt: { backoff: { intial: 1 } } }],
      ['mqtt.embedded.prot', { mqtt: { embedded: { prot: 1 } } }],
      ['http.prot', { http: { prot: 80 } }],
      ['telemetry.intervall', { telemetry: { intervall: 5 } }],
      ['notify.webhok', { notify: { webhok: 'x' } }],
      ['pump.drivr', { pump: { driver: 'mock', drivr: 'rpio' } }],
      ['pump.pins.mainvalve', { pump: { driver: 'mock', pins: { mainvalve: { pin: 5 } } } }],
      ['pump.timings.primingSecond', { pump: { driver: 'mock', timings: { primingSecond: 5 } } }],
    ];
    for (const [key, obj] of sections) {
      const r = parseConfigObject({ roles: ['pump'], pump: { driver: 'mock' }, ...obj }, 't', { environment: envi });
      expect(r.ok, key).toBe(false);
      if (r.ok) continue;
      const p = r.problems.find((x) => x.key === key);
      expect(p, `${key}: ${r.reason}`).toBeDefined();
      expect(p!.allowed).toMatch(/unknown key/);
    }
  });

  it('reports cross-part rules together with ordinary errors (one round of fixes)', () => {
    const r = parseConfigObject({ roles: ['pump', 'camera'], log: { level: 'loud' } }, 't', { environment: envi });
    expect(!r.ok && r.problems.map((p) => p.key)).toEqual(['log.level', 'pump.driver', 'cameras']);
  });

  it('applies env overrides (MQTT_URL, NODE_ID, LOG_LEVEL, HTTP_PORT) over file values and validates them', () => {
    const r = parseConfigObject({ ...minimal, mqtt: { url: 'mqtt://file:1883' }, node: { id: 'file' } }, 't', {
      environment: envi,
      env: { MQTT_URL: 'mqtt://env:1883', NODE_ID: 'env-node', LOG_LEVEL: 'debug', WFE_ROLES: 'camera,consensus', MQTT_USERNAME: '' },
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.config.mqtt.url).toBe('mqtt://env:1883');
    expect(r.value.config.node.id).toBe('env-node');
    expect(r.value.config.log.level).toBe('debug');
    expect(r.value.config.roles).toEqual(['camera', 'consensus']);
    expect(r.value.envApplied).toEqual(['MQTT_URL', 'NODE_ID', 'LOG_LEVEL', 'WFE_ROLES']);
    const bad = parseConfigObject(minimal, 't', { environment: envi, env: { LOG_LEVEL: 'shouty' } });
    expect(!bad.ok && bad.problems[0]).toMatchObject({ key: 'log.level', value: '"shouty"' });
  });
});

describe('config files', () => {
  it('loads YAML and JSON, and reports YAML syntax errors with a line', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.yaml'), 'pump: { driver: mock }\ncameras:\n  - { id: north, url: "dir:///x" }\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify(minimal));
    writeFileSync(join(dir, 'c.yaml'), 'pump:\n  driver: [mock\n');
    const a = loadConfigFile(join(dir, 'a.yaml'), { env: {}, environment: envi });
    expect(a.ok && a.value.config.cameras[0].id).toBe('north');
    expect(loadConfigFile(join(dir, 'b.json'), { env: {}, environment: envi }).ok).toBe(true);
    const c = loadConfigFile(join(dir, 'c.yaml'), { env: {}, environment: envi });
    expect(!c.ok && c.problems[0].key).toBe('(syntax)');
    const d = loadConfigFile(join(dir, 'missing.yaml'), { env: {}, environment: envi });
    expect(!d.ok && d.reason).toMatch(/no such file/);
  });

  it('a YAML alias bomb is an invalid config (clear problem), not a thrown ReferenceError; a few aliases still work', () => {
    const dir = tmp();
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill('*' + names[i - 1]).join(', ')}]`);
    writeFileSync(join(dir, 'bomb.yaml'), lines.join('\n') + '\n');
    let r: ReturnType<typeof loadConfigFile> | undefined;
    expect(() => (r = loadConfigFile(join(dir, 'bomb.yaml'), { env: {}, environment: envi }))).not.toThrow();
    expect(r?.ok).toBe(false);
    expect(!r?.ok && r?.reason).toMatch(/^invalid config .*bomb\.yaml/);
    expect(!r?.ok && r?.problems[0]).toMatchObject({ key: '(aliases)' });
    expect(!r?.ok && r?.problems[0].allowed).toMatch(/alias bomb/);
    // Ordinary anchors and aliases are unaffected.
    writeFileSync(join(dir, 'ok.yaml'), 'pump: &p { driver: mock }\ncameras:\n  - { id: north, url: "dir:///x" }\n  - { id: south, url: "dir:///y" }\nx-unused: *p\n');
    const ok = loadConfigFile(join(dir, 'ok.yaml'), { env: {}, environment: envi });
    expect(!ok.ok && ok.problems.map((p) => p.key)).toEqual(['x-unused']); // strict top level, but parsed
  });

  it('refuses a "__proto__" key by name (zod would drop it silently: an allow-list would lose its camera)', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'p.yaml'), 'pump: { driver: mock }\ncameras:\n  - { id: north, url: "dir:///x" }\nconsensus:\n  cameras:\n    __proto__: { width: 640, height: 480 }\n');
    const r = loadConfigFile(join(dir, 'p.yaml'), { env: {}, environment: envi });
    expect(!r.ok && r.problems.map((p) => p.key)).toEqual(['consensus.cameras.__proto__']);
    expect(!r.ok && r.reason).toMatch(/"__proto__" is not allowed as a key/);
  });

  it('migrates an old version through the hook, backing the original up first', () => {
    const dir = tmp();
    const file = join(dir, 'old.yaml');
    const original = 'version: 0\npump: { driver: mock }\nroles: [pump]\nnodeId: legacy\n';
    writeFileSync(file, original);
    // A hypothetical v0 → v1 step: `nodeId` moved to `node.id`.
    const migrations = { 0: (raw: Record<string, unknown>) => { const { nodeId, ...rest } = raw; return { ...rest, node: { id: nodeId } }; } };
    const r = loadConfigFile(file, { env: {}, environment: envi, migrations, writeMigrated: true });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.config.node.id).toBe('legacy');
    expect(r.value.migratedFrom).toBe(0);
    expect(readFileSync(`${file}.v0.bak`, 'utf8')).toBe(original);
    expect(readFileSync(file, 'utf8')).toMatch(/version: 1/);
    // check-config style loading never writes.
    const file2 = join(dir, 'old2.yaml');
    writeFileSync(file2, original);
    expect(loadConfigFile(file2, { env: {}, environment: envi, migrations }).ok).toBe(true);
    expect(existsSync(`${file2}.v0.bak`)).toBe(false);
    expect(readFileSync(file2, 'utf8')).toBe(original);
  });

  it('refuses a newer or unknown version', () => {
    const newer = parseConfigObject({ ...minimal, version: 7 }, 't', { environment: envi });
    expect(!newer.ok && newer.problems[0].allowed).toMatch(/upgrade wildfire-edge/);
    const older = parseConfigObject({ ...minimal, version: 0 }, 't', { environment: envi });
    expect(!older.ok && older.problems[0].allowed).toMatch(/no migration from version 0/);
  });
});
