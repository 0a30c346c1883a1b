#!/usr/bin/env node
/**
 * CLI entry (docs/design.md "Folders"): parse the command line and hand over to the command. Bundled to
 * dist/wildfire-edge.mjs; `bin/wildfire-edge.mjs` runs the bundle.
 */
import { dispatch } from './cli/dispatch.js';
import { processIo } from './cli/io.js';

const code = await dispatch(process.argv.slice(2), processIo);
// Let stdout drain, then leave with the command's code (a running node resolves only after stop).
process.exitCode = code;
if (code !== 0 || process.argv[2] === 'run' || process.argv[2] === 'demo') setImmediate(() => process.exit(code));
