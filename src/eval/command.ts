/** The `eval` command behind src/eval/index.ts (the module other folders import). */
import type { Result } from '../core/result.js';
import type { EvalOptions } from './args.js';
import { EVAL_USAGE, parseEvalArgs } from './args.js';
import type { EvalReport } from './report.js';
import { formatReport, reportJson } from './report.js';
import { evaluate } from './runner.js';

/** Where the command writes (stdout/stderr by default; tests capture). */
export interface EvalIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: EvalIo = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Runs an evaluation and returns the report (no printing). */
export async function runEval(options: EvalOptions, progress?: (line: string) => void): Promise<Result<EvalReport>> {
  return evaluate(options, progress);
}

/**
 * The `eval` command: parses `argv` (without the word `eval`), runs, prints the tables and then
 * the JSON line. Exit code 0 on success, 2 on bad arguments, 1 when the evaluation failed.
 */
export async function evalCommand(argv: string[], io: EvalIo = processIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(EVAL_USAGE);
    return 0;
  }
  const parsed = parseEvalArgs(argv);
  if (!parsed.ok) {
    io.err(`eval: ${parsed.reason}`);
    return 2;
  }
  const res = await runEval(parsed.value, (line) => io.err(line));
  if (!res.ok) {
    io.err(`eval: ${res.reason}`);
    return 1;
  }
  io.out(formatReport(res.value));
  if (parsed.value.plot) io.out(`plot written to ${parsed.value.plot}`);
  io.out(reportJson(res.value));
  return 0;
}
