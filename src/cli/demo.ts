import { parseArgs } from 'node:util';
import type { CliIo } from './io.js';
import { isRaspberryPi, boardModel } from './platform.js';

/** `demo [--print-config] [--yes-on-a-pi]`: the built-in demo (what `npm start` runs). */
export async function demoCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'print-config': { type: 'boolean' }, 'yes-on-a-pi': { type: 'boolean' } } });
  if (!values['print-config'] && isRaspberryPi(io.env) && !values['yes-on-a-pi']) {
    io.err(`demo: refusing to run on a Raspberry Pi (${boardModel(io.env)}) without --yes-on-a-pi.\n` +
      'The demo uses mock GPIO only, but on a Pi it is too easy to confuse with a real node; pass --yes-on-a-pi if you mean it.');
    return 2;
  }
  io.err('demo: not available yet');
  return 2;
}
