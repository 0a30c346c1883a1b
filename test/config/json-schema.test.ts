import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dispatch } from '../../src/cli/dispatch.js';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText, generateConfigJsonSchema } from '../../src/config/index.js';

// The editor schema (issue 14): generated from the zod schema, shipped in deploy/, referenced by the
// example config's yaml-language-server modeline, and checked here with a real JSON Schema validator.
const ajv = new Ajv2020.default({ strict: false, allErrors: true });
const validate = ajv.compile(generateConfigJsonSchema());

describe('config JSON Schema', () => {
  it('the shipped file is what `config-schema` generates now', () => {
    expect(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
  });

  it('the example config names the schema and validates against it', () => {
    const text = readFileSync('deploy/config.example.yaml', 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=config.schema.json');
    const ok = validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('refuses what the loader refuses: unknown keys, wrong types, out-of-range values', () => {
    expect(validate({ mqtt: { urll: 'mqtt://x' } })).toBe(false);
    expect(validate({ roles: ['camera', 'toaster'] })).toBe(false);
    expect(validate({ http: { port: 70_000 } })).toBe(false);
    expect(validate({ log: { level: 'chatty' } })).toBe(false);
    expect(validate({ node: { id: 'pi-north' }, roles: ['pump'], pump: { driver: 'mock' } })).toBe(true);
  });

  it('machine-dependent defaults are left out (node.id)', () => {
    expect(JSON.stringify(generateConfigJsonSchema())).not.toMatch(/"default":\s*"hostname"/);
  });

  it('`config-schema` prints it', async () => {
    let out = '';
    const code = await dispatch(['config-schema'], { out: (t) => void (out += t), err: () => undefined, env: {} });
    expect(code).toBe(0);
    expect(JSON.parse(out).title).toBe('wildfire-edge configuration');
  });
});
