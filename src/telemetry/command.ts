import { execFile } from 'node:child_process';
import { fail, ok, type Result } from '../core/result.js';

/**
 * Runs one external command and returns its stdout. Injected into the telemetry adapters so tests
 * never depend on the host having `vcgencmd`, `timedatectl` or `systemd-notify`.
 */
export type CommandRunner = (cmd: string, args: readonly string[], timeoutMs: number, env?: Record<string, string | undefined>) => Promise<Result<string>>;

/**
 * The real runner: execFile with a timeout; a missing binary or non-zero exit is a failed Result.
 * `env` entries are added to the inherited environment.
 */
export const runCommand: CommandRunner = (cmd, args, timeoutMs, env) =>
  new Promise((resolve) => {
    const options = { timeout: timeoutMs, encoding: 'utf8' as const, windowsHide: true, ...(env ? { env: { ...process.env, ...env } } : {}) };
    execFile(cmd, [...args], options, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve(fail(`${cmd} ${args.join(' ')} failed: ${code === 'ENOENT' ? 'not installed' : (stderr || err.message).trim()}`));
        return;
      }
      resolve(ok(stdout));
    });
  });
