import { pino, type Logger as PinoLogger } from 'pino';
import { redactDeep, redactUrl } from './redact.js';

/** Log levels, quietest last. `info` is the default and stays quiet in steady state (docs/style.md 9). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Structured fields attached to a log line; secrets are redacted before writing. */
export type LogFields = Record<string, unknown>;

/**
 * The project's logger: one JSON object a line, namespaced (`mqtt`, `pump`, `detect`, ...).
 * Parts receive a Logger through their options; nothing imports a global logger.
 */
export interface Logger {
  readonly ns: string;
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  fatal(msg: string, fields?: LogFields): void;
  /** True when `level` would be written: guard expensive field building on hot paths. */
  enabled(level: LogLevel): boolean;
  /** A logger for a sub-namespace (`mqtt` → `mqtt.outbox`). */
  child(ns: string): Logger;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Default level for every namespace. */
  level: LogLevel;
  /** Per-namespace overrides, e.g. `{ mqtt: 'debug' }`; the longest matching prefix wins. */
  levels?: Record<string, LogLevel>;
  /** Where lines go; default stdout. Tests pass a sink to capture lines. */
  destination?: { write(line: string): void };
}

class PinoBacked implements Logger {
  constructor(
    private readonly root: PinoLogger,
    readonly ns: string,
    private readonly opts: LoggerOptions,
  ) {}

  private levelFor(): LogLevel {
    let best = '';
    let lvl = this.opts.level;
    for (const [prefix, l] of Object.entries(this.opts.levels ?? {})) {
      if ((this.ns === prefix || this.ns.startsWith(prefix + '.')) && prefix.length > best.length) {
        best = prefix;
        lvl = l;
      }
    }
    return lvl;
  }

  enabled(level: LogLevel): boolean {
    const want = this.levelFor();
    return want !== 'silent' && LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(want);
  }

  private write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const safe = fields ? (redactDeep(fields) as LogFields) : {};
    this.root[level]({ ns: this.ns, ...safe }, redactUrl(msg));
  }

  trace(msg: string, f?: LogFields): void { this.write('trace', msg, f); }
  debug(msg: string, f?: LogFields): void { this.write('debug', msg, f); }
  info(msg: string, f?: LogFields): void { this.write('info', msg, f); }
  warn(msg: string, f?: LogFields): void { this.write('warn', msg, f); }
  error(msg: string, f?: LogFields): void { this.write('error', msg, f); }
  fatal(msg: string, f?: LogFields): void { this.write('fatal', msg, f); }

  child(ns: string): Logger {
    return new PinoBacked(this.root, this.ns ? `${this.ns}.${ns}` : ns, this.opts);
  }
}

/** Build the root logger. Pino writes synchronously here so a crash never loses its last line. */
export function createLogger(opts: LoggerOptions, ns = 'app'): Logger {
  const dest = opts.destination ?? pino.destination({ fd: 1, sync: true });
  const root = pino(
    { level: 'trace', base: undefined, timestamp: pino.stdTimeFunctions.epochTime, messageKey: 'msg' },
    dest as pino.DestinationStream,
  );
  return new PinoBacked(root, ns, opts);
}

/** A logger that keeps parsed lines in memory, for tests that assert on logged reasons. */
export function memoryLogger(level: LogLevel = 'trace'): Logger & { lines: Array<LogFields & { msg: string; level: number; ns: string }> } {
  const lines: Array<LogFields & { msg: string; level: number; ns: string }> = [];
  const logger = createLogger({ level, destination: { write: (l: string) => void lines.push(JSON.parse(l)) } });
  return Object.assign(logger, { lines });
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', destination: { write: () => undefined } });
}
