import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigObject, parseConfigText } from '../../src/config/load.js';

const example = resolve(__dirname, '../../deploy/config.example.yaml');

describe('deploy/config.example.yaml', () => {
  it('is a valid config for a Pi with all three roles', () => {
    const raw = parseConfigText(readFileSync(example, 'utf8'), example);
    expect(raw.ok).toBe(true);
    if (!raw.ok) return;
    const r = parseConfigObject(raw.value, example, { environment: { hostname: 'pi', cwd: '/tmp' } });
    if (!r.ok) throw new Error(r.reason);
    const c = r.value.config;
    expect(c.roles).toEqual(['camera', 'consensus', 'pump']);
    expect(c.pump.driver).toBe('rpio');
    expect(c.cameras.map((x) => x.id)).toEqual(['north', 'south']);
    expect(c.http).toEqual({ enabled: true, host: '127.0.0.1', port: 8080 });
    expect(c.telemetry).toMatchObject({ intervalSeconds: 60, healthIntervalSeconds: 30 });
  });
});
