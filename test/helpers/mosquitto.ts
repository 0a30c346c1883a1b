import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (bind to 0, read the port, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Path of the mosquitto binary: PATH first, then /usr/sbin (Debian installs it there, often off PATH). */
export function mosquittoBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'mosquitto'))) return join(dir, 'mosquitto');
  }
  for (const p of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto']) if (existsSync(p)) return p;
  throw new Error('mosquitto not found on PATH or in /usr/sbin: run `bash test/ensure-system-deps.sh` (apt-get install mosquitto)');
}

/** Resolves when something accepts TCP connections on host:port, rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const okNow = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (okNow) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Options for a test broker. */
export interface MosquittoOptions {
  /** Fixed port (kept across restarts); default a free port. */
  port?: number;
  /** Extra mosquitto.conf lines appended after the listener (TLS, auth, ACL...). The listener line is ours. */
  extraConfig?: string;
  /** Replace the whole config (must contain its own listener on `port`); `{port}` and `{dir}` are substituted. */
  config?: string;
  /** Keep retained messages and sessions across restarts (persistence true, in a temp dir). Default true. */
  persistence?: boolean;
}

/**
 * A real Mosquitto broker on a loopback port, started by a test. Restartable on the same port
 * with SIGTERM or SIGKILL, so tests can simulate broker outages.
 */
export class TestMosquitto {
  readonly dir: string;
  port = 0;
  private proc: ChildProcess | undefined;
  /** Everything the broker wrote to stderr (for debugging failing tests). */
  output = '';

  constructor(private readonly opts: MosquittoOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'wfe-mosq-'));
    // Mosquitto started as root drops to the `mosquitto` user, which must still write its
    // persistence file here, or retained messages and sessions would not survive a restart.
    chmodSync(this.dir, 0o777);
  }

  /** mqtt://127.0.0.1:<port> */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Start (or start again on the same port). */
  async start(): Promise<void> {
    if (!this.port) this.port = this.opts.port ?? (await freePort());
    const confPath = join(this.dir, 'mosquitto.conf');
    const persistence = this.opts.persistence ?? true;
    const conf = this.opts.config
      ? this.opts.config.replaceAll('{port}', String(this.port)).replaceAll('{dir}', this.dir)
      : [
          `listener ${this.port} 127.0.0.1`,
          'allow_anonymous true',
          `persistence ${persistence}`,
          `persistence_location ${this.dir}/`,
          'log_dest stderr',
          'log_type error',
          'log_type warning',
          'max_queued_messages 100000',
          this.opts.extraConfig ?? '',
        ].join('\n');
    writeFileSync(confPath, conf + '\n');
    const proc = spawn(mosquittoBinary(), ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`mosquitto exited (${code}) at start: ${this.output}`))),
    );
    await Promise.race([waitForPort(this.port), exited]);
    exited.catch(() => undefined);
  }

  /** Stop with a signal and wait for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  /** Stop, then start again on the same port. */
  async restart(signal: NodeJS.Signals = 'SIGTERM', downMs = 0): Promise<void> {
    await this.stop(signal);
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  /** True while the broker process is running. */
  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }
}
