import { readVersion } from '../app/paths.js';
import { checkConfigCommand, configDocsCommand, configSchemaCommand } from './commands.js';
import { demoCommand } from './demo.js';
import { discoverCommand } from './discover.js';
import { evalCommandEntry } from './eval.js';
import { usage } from './help.js';
import type { CliIo } from './io.js';
import { runCommand } from './run.js';

const COMMANDS = new Set(['run', 'check-config', 'demo', 'eval', 'config-docs', 'config-schema', 'discover']);

/** Dispatch `wildfire-edge <command> ...`; resolves with the exit code. Never throws for bad input. */
export async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  const version = readVersion();
  // `<command> --help` is a request for help, not an unknown option (eval has its own usage text).
  if (cmd !== undefined && cmd !== 'eval' && COMMANDS.has(cmd) && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(usage(version));
    return 0;
  }
  try {
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(usage(version));
        return cmd === undefined ? 2 : 0;
      case '-v':
      case '--version':
      case 'version':
        io.out(version);
        return 0;
      case 'run':
        return await runCommand(rest, io);
      case 'check-config':
        return checkConfigCommand(rest, io);
      case 'demo':
        return await demoCommand(rest, io);
      case 'eval':
        return await evalCommandEntry(rest, io);
      case 'config-docs':
        return configDocsCommand(rest, io);
      case 'config-schema':
        return configSchemaCommand(rest, io);
      case 'discover':
        return await discoverCommand(rest, io);
      default:
        io.err(`wildfire-edge: unknown command "${cmd}"\n\n${usage(version)}`);
        return 2;
    }
  } catch (e) {
    // node:util parseArgs throws on unknown options: a usage error, not a crash.
    if (e instanceof Error && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      io.err(`wildfire-edge ${cmd}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
