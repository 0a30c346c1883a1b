import { fstatSync } from 'node:fs';

/**
 * How log lines leave the process. The logger always produces one pino JSON object a line; this
 * module only chooses how that line is written:
 * - `json`: as is (files, pipes, log shippers);
 * - `pretty`: `HH:MM:SS LEVEL ns: msg  k=v` for a person at a terminal, coloured unless NO_COLOR;
 * - `journal`: the JSON line behind an sd-daemon `<N>` priority prefix, so journald files each line
 *   under its real priority (`journalctl -p warning` works) and the message stays one JSON object.
 * `auto` (the default) picks pretty on a TTY, journal when stdout is the journal's stream, else json.
 */
export type LogFormat = 'auto' | 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];
export type ResolvedLogFormat = 'json' | 'pretty' | 'journal';

const NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
// sd-daemon(3) priorities: 7 debug, 6 info, 4 warning, 3 err, 2 crit.
const PRIORITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };
const COLOURS: Record<number, string> = { 10: '\x1b[90m', 20: '\x1b[36m', 30: '\x1b[32m', 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[35;1m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** What {@link resolveLogFormat} needs to know about stdout and the environment. */
export interface LogSink {
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** `dev:inode` of stdout, compared with $JOURNAL_STREAM (systemd.exec(5)). */
  stdoutId?: string;
}

/** Describe fd 1 for {@link resolveLogFormat}. */
export function stdoutSink(env: Record<string, string | undefined> = process.env): LogSink {
  let stdoutId: string | undefined;
  try {
    const st = fstatSync(1);
    stdoutId = `${st.dev}:${st.ino}`;
  } catch {
    stdoutId = undefined;
  }
  return { isTTY: process.stdout.isTTY === true, env, stdoutId };
}

export function resolveLogFormat(format: LogFormat, sink: LogSink): ResolvedLogFormat {
  if (format === 'json') return 'json';
  if (format === 'pretty') return 'pretty';
  if (sink.isTTY) return 'pretty';
  const js = sink.env.JOURNAL_STREAM;
  if (js && sink.stdoutId && js === sink.stdoutId) return 'journal';
  return 'json';
}

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) || v === '' ? JSON.stringify(v) : v;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** One pino JSON line as a human line (newline-terminated); text that is not JSON passes through. */
export function prettyLine(line: string, colour = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const { level, time, ns, msg, ...rest } = o;
  const lvl = Number(level);
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '--:--:--';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${fmtValue(v)}`).join(' ');
  const name = NAMES[lvl] ?? String(level);
  const head = colour ? `${DIM}${t}${RESET} ${COLOURS[lvl] ?? ''}${name}${RESET}` : `${t} ${name}`;
  const tail = fields ? (colour ? `  ${DIM}${fields}${RESET}` : `  ${fields}`) : '';
  return `${head} ${String(ns ?? '')}: ${String(msg ?? '')}${tail}\n`;
}

/** One pino JSON line behind its sd-daemon priority prefix. */
export function journalLine(line: string): string {
  const m = /"level":(\d+)/.exec(line);
  const prio = m ? (PRIORITY[Number(m[1])] ?? 6) : 6;
  return `<${prio}>${line.endsWith('\n') ? line : `${line}\n`}`;
}

/** A destination that writes each line in `format` through `write`. */
export function formattedDestination(format: ResolvedLogFormat, write: (text: string) => void, env: Record<string, string | undefined> = process.env): { write(line: string): void } {
  if (format === 'json') return { write };
  if (format === 'journal') return { write: (line) => write(journalLine(line.trimEnd())) };
  // NO_COLOR (no-color.org): any non-empty value turns colours off.
  const colour = !env.NO_COLOR;
  return { write: (line) => write(prettyLine(line.trimEnd(), colour)) };
}
