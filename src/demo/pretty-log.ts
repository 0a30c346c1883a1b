/**
 * A log destination for the demo: the same structured lines, shown as `HH:MM:SS LEVEL ns: msg k=v`
 * so a newcomer can read them. Production logs stay JSON (one object a line, STYLE.md rule 9).
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** Format one pino JSON line; non-JSON text passes through. */
export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, ns, msg, ...rest } = o;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '--:--:--';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${fmtValue(v)}`).join(' ');
  return `${t} ${LEVELS[Number(level)] ?? String(level)} ${String(ns ?? '')}: ${String(msg ?? '')}${fields ? `  ${fields}` : ''}\n`;
}

/** A destination for createLogger that writes pretty lines to `out`. */
export function prettyDestination(out: (text: string) => void): { write(line: string): void } {
  return { write: (line) => out(prettyLine(line.trimEnd())) };
}
