/**
 * `wildfire-edge eval` (issue 6): scores a detector model on labelled image folders through the
 * real runtime path and prints image-level recall and false alarms (Wilson 95 % intervals), AP50
 * where boxes exist, a threshold sweep, and, as the last line, one JSON object with the figures.
 * The only module other folders import from src/eval; the command itself is in command.ts.
 */
export type { DatasetSpec, EvalOptions } from './args.js';
export { EVAL_USAGE, parseEvalArgs } from './args.js';
export type { DatasetReport, EvalReport } from './report.js';
export { formatReport, reportJson } from './report.js';
export type { ImageLevel, Interval, Proportion } from './stats.js';
export { averagePrecision, imageLevel, wilson } from './stats.js';
export { runEval, evalCommand, type EvalIo } from './command.js';
