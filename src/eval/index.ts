/**
 * `wildfire-edge eval` (issue 6): scores a detector model on labelled image folders through the
 * real runtime path and prints image-level recall and false alarms (Wilson 95 % intervals), AP50
 * where boxes exist, a threshold sweep, and, as the last line, one JSON object with the figures.
 * The only module other folders import from src/eval.
 */
import type { Result } from '../core/result.js';
import type { EvalOptions } from './args.js';
import { EVAL_USAGE, parseEvalArgs } from './args.js';
import type { EvalReport } from './report.js';
import { formatReport, reportJson } from './report.js';
import { evaluate } from './runner.js';

export type { DatasetSpec, EvalOptions } from './args.js';
export { EVAL_USAGE, parseEvalArgs } from './args.js';
export type { DatasetReport, EvalReport } from './report.js';
export { formatReport, reportJson } from './report.js';
export type { ImageLevel, Interval, Proportion } from './stats.js';
export { averagePrecision, imageLevel, wilson } from './stats.js';

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
