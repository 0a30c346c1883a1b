import type { LogSink } from '../log/format.js';

/** Where CLI commands write; injected so tests can capture output without spawning. */
export interface CliIo {
  /** Normal output (stdout). */
  out(text: string): void;
  /** Errors and refusals (stderr). */
  err(text: string): void;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** What stdout is (TTY, the journal), for `log.format: auto`; default: probed from fd 1. */
  logSink?: LogSink;
}

/** The real process streams and environment. */
export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  env: process.env,
};
