import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCS_BEGIN, DOCS_END, generateConfigDocs } from '../../src/config/index.js';

describe('README configuration reference', () => {
  it('is the one generated from the schema (run `npx wildfire-edge config-docs --write README.md`)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const a = readme.indexOf(DOCS_BEGIN);
    const b = readme.indexOf(DOCS_END);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThan(a);
    expect(readme.slice(a, b + DOCS_END.length)).toBe(generateConfigDocs());
  });

  it('documents every section and the env overrides', () => {
    const docs = generateConfigDocs();
    for (const key of ['`node.id`', '`roles`', '`stateDir`', '`mqtt.url`', '`pump.driver`', '`cameras[].id`', '`detect.model`', '`consensus.threshold`', '`telemetry.intervalSeconds`', '`homeassistant.discovery`']) {
      expect(docs).toContain(key);
    }
    expect(docs).toContain('`MQTT_URL`');
    expect(docs).toContain('`LOG_LEVEL`');
  });

  it('shows the real range of every pump timing (refines used to hide them)', async () => {
    const { TIMING_TABLE } = await import('../../src/pump/config.js');
    const docs = generateConfigDocs();
    for (const [key, [, min, max]] of Object.entries(TIMING_TABLE)) {
      const row = docs.split('\n').find((l) => l.startsWith(`| \`pump.timings.${key}\``));
      expect(row, key).toContain(`≥ ${min}; ≤ ${max}`);
    }
  });
});
