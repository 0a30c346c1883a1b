import { prettyLine as fmt } from '../log/format.js';

/**
 * A log destination for the demo: the same structured lines, shown as `HH:MM:SS LEVEL ns: msg
 * k=v` without colour (the demo's output is also read by tests and pasted into issues).
 */
export function prettyLine(line: string): string {
  return fmt(line, false);
}

/** A destination for createLogger that writes pretty lines to `out`. */
export function prettyDestination(out: (text: string) => void): { write(line: string): void } {
  return { write: (line) => out(prettyLine(line.trimEnd())) };
}
