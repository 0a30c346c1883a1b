import { evalCommand } from '../eval/index.js';
import type { CliIo } from './io.js';

/** `eval ...`: the detector evaluation on labelled image sets (src/eval; `eval --help` for usage). */
export async function evalCommandEntry(argv: string[], io: CliIo): Promise<number> {
  return evalCommand(argv, { out: io.out, err: io.err });
}
