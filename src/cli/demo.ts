import { parseArgs } from 'node:util';
import { runDemo } from '../demo/index.js';
import type { CliIo } from './io.js';
import { isRaspberryPi, boardModel } from './platform.js';

/** `demo [--print-config] [--yes-on-a-pi] [--exit-on-valve] [--max-seconds N]`: the built-in demo. */
export async function demoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'print-config': { type: 'boolean' },
      'yes-on-a-pi': { type: 'boolean' },
      'exit-on-valve': { type: 'boolean' },
      'max-seconds': { type: 'string' },
    },
  });
  // docs/design.md: on a Pi the demo refuses unless asked explicitly; printing the config is harmless.
  if (!values['print-config'] && isRaspberryPi(io.env) && !values['yes-on-a-pi']) {
    io.err(`demo: refusing to run on a Raspberry Pi (${boardModel(io.env)}) without --yes-on-a-pi.\n` +
      'The demo uses mock GPIO only, but on a Pi it is too easy to confuse with a real node; pass --yes-on-a-pi if you mean it.');
    return 2;
  }
  const max = values['max-seconds'] === undefined ? undefined : Number(values['max-seconds']);
  if (max !== undefined && !(max > 0)) {
    io.err(`demo: --max-seconds must be a positive number (got "${values['max-seconds']}")`);
    return 2;
  }
  return runDemo({ printConfig: !!values['print-config'], exitOnValve: !!values['exit-on-valve'], maxSeconds: max, out: io.out, env: io.env });
}
