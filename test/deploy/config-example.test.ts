import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigObject, parseConfigText } from '../../src/config/load.js';

const example = resolve(__dirname, '../../deploy/config.example.yaml');
const environment = { hostname: 'pi', cwd: '/tmp' };

function parse(text: string) {
  const raw = parseConfigText(text, example);
  if (!raw.ok) throw new Error(raw.reason);
  return parseConfigObject(raw.value, example, { environment });
}

describe('deploy/config.example.yaml', () => {
  it('is refused as it stands: every example value and the unconfirmed rpio pins are named', () => {
    const r = parse(readFileSync(example, 'utf8'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.key).sort()).toEqual(['cameras[0].url', 'cameras[1].url', 'mqtt.password', 'notify.webhooks[0].url', 'pump.pins.confirmed']);
  });

  it('is a valid config for a Pi with all three roles once the site values are in and the pins confirmed', () => {
    const text = readFileSync(example, 'utf8')
      .replace(/viewer:secret@192\.168\.1\.5(\d)/g, 'cam:pw-$1@10.0.0.5$1')
      .replace('password: change-me', 'password: a-real-one')
      .replace('ntfy.sh/my-secret-topic', 'ntfy.sh/wfe-7d0c2b')
      .replace('# confirmed: true', 'confirmed: true');
    const r = parse(text);
    if (!r.ok) throw new Error(r.reason);
    const c = r.value.config;
    expect(c.roles).toEqual(['camera', 'consensus', 'pump']);
    expect(c.pump.driver).toBe('rpio');
    expect(c.pump.pins.confirmed).toBe(true);
    expect(c.cameras.map((x) => x.id)).toEqual(['north', 'south']);
    expect(c.http).toEqual({ enabled: true, host: '127.0.0.1', port: 8080 });
    expect(c.telemetry).toMatchObject({ intervalSeconds: 60, healthIntervalSeconds: 30 });
  });
});
