import type { CliIo } from './io.js';

/** `eval ...`: delegates to the detector evaluation (src/eval) once that part exists. */
export async function evalCommandEntry(argv: string[], io: CliIo): Promise<number> {
  void argv;
  io.err('eval: the evaluation command is not available in this build');
  return 2;
}
