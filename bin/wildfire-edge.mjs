#!/usr/bin/env node
// The `wildfire-edge` command: runs the esbuild bundle built by `npm run build` (also run by
// `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const bundle = fileURLToPath(new URL('../dist/wildfire-edge.mjs', import.meta.url));
if (!existsSync(bundle)) {
  console.error('wildfire-edge: dist/wildfire-edge.mjs is missing; run `npm run build` (npm ci runs it).');
  process.exit(1);
}
await import(bundle);
