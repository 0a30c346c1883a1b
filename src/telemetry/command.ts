import { execFile } from 'node:child_process';
import { fail, ok, type Result } from '../core/result.js';

/**
 * Runs one external command and returns its stdout. Injected into the telemetry adapters so tests
 * never depend on the host having `vcgencmd`, `timedatectl` or `systemd-notify`.
 */
export type CommandRunner = (cmd: string, args: readonly string[], timeoutMs: number) => Promise<Result<string>>;

/** The real runner: execFile with a timeout; a missing binary or non-zero exit is a failed Result. */
export const runCommand: CommandRunner = (cmd, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8', windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve(fail(`${cmd} ${args.join(' ')} failed: ${code === 'ENOENT' ? 'not installed' : (stderr || err.message).trim()}`));
        return;
      }
      resolve(ok(stdout));
    });
  });
