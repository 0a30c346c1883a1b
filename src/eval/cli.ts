/**
 * Standalone entry of the eval command (`npx tsx src/eval/cli.ts --model … --images …`), the same
 * code `wildfire-edge eval` runs; handy where the bundled CLI is not built.
 */
import { evalCommand } from './index.js';

process.exitCode = await evalCommand(process.argv.slice(2));
