import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configJsonSchemaText, generateConfigDocs, loadConfigFile, replaceConfigDocs } from '../config/index.js';
import type { CliIo } from './io.js';

/** `check-config FILE`: prints OK (with the node id and roles) or every problem; exit 0 / 1. */
export function checkConfigCommand(argv: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true });
  const file = values.config ?? positionals[0];
  if (!file) {
    io.err('check-config: give the file to check: wildfire-edge check-config FILE');
    return 2;
  }
  const r = loadConfigFile(file, { env: io.env });
  if (!r.ok) {
    io.err(r.reason);
    return 1;
  }
  const c = r.value.config;
  const env = r.value.envApplied.length ? ` (env overrides: ${r.value.envApplied.join(', ')})` : '';
  io.out(`OK ${file}: node ${c.node.id}, roles ${c.roles.join(', ')}, ${c.cameras.length} camera(s), broker ${c.mqtt.url ? 'external' : 'embedded'}${env}`);
  return 0;
}

/** `config-docs [--write README.md]`: the README configuration reference generated from the schema. */
export function configDocsCommand(argv: string[], io: CliIo): number {
  const { values } = parseArgs({ args: argv, options: { write: { type: 'string' } } });
  const docs = generateConfigDocs();
  if (!values.write) {
    io.out(docs);
    return 0;
  }
  const text = readFileSync(values.write, 'utf8');
  const next = replaceConfigDocs(text, docs);
  if (next === null) {
    io.err(`config-docs: ${values.write} has no generated section markers; add them where the reference belongs`);
    return 1;
  }
  if (next !== text) writeFileSync(values.write, next);
  io.out(`config-docs: ${values.write} ${next === text ? 'already up to date' : 'updated'}`);
  return 0;
}

/** `config-schema [--write FILE]`: the config's JSON Schema (for editors), printed or written. */
export function configSchemaCommand(argv: string[], io: CliIo): number {
  const { values } = parseArgs({ args: argv, options: { write: { type: 'string' } } });
  const text = configJsonSchemaText();
  if (!values.write) {
    io.out(text.trimEnd());
    return 0;
  }
  let old: string | null = null;
  try {
    old = readFileSync(values.write, 'utf8');
  } catch {
    old = null;
  }
  if (old !== text) writeFileSync(values.write, text);
  io.out(`config-schema: ${values.write} ${old === text ? 'already up to date' : 'written'}`);
  return 0;
}
