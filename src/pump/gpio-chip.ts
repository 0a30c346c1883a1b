import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fail, ok, type Result } from '../core/result.js';
import type { GpioDriver, GpioOpenSpec, Level } from './gpio-driver.js';

const run = promisify(execFile);

/** Options of {@link ChipGpioDriver}. Tool paths are injectable so tests run a fake tool script. */
export interface ChipGpioOptions {
  gpioset?: string;
  gpioget?: string;
  gpiodetect?: string;
  /** util-linux `setpriv`, used to give gpioset a parent-death signal (default `setpriv`). */
  setpriv?: string;
  /** Where gpio devices are listed (default `/sys/bus/gpio/devices`). */
  sysDevices?: string;
  /** Chip label to look for (default `pinctrl-rp1`, the Pi 5's RP1). */
  chipLabel?: string;
  /** Input sampling period (default 200 ms: one short gpioget process per bias group per sample). */
  pollMs?: number;
  /** Handshake timeout for the gpioset process (default 3000 ms). */
  readyTimeoutMs?: number;
}

/**
 * Linux GPIO character device driver for the Pi 5 (docs/pump.md "GPIO drivers").
 *
 * Why a tool process instead of a native binding: the node libgpiod bindings are native addons that
 * must compile against the installed libgpiod (and fail to build where it is absent, as on CI),
 * whereas Debian's `gpiod` package (libgpiod v2 on trixie) ships `gpioset --interactive`, which
 * holds every output line in ONE long-running request and takes `set <line>=<value>` on stdin.
 * The kernel releases the request the instant that process dies, whatever killed our Node
 * process; with `dtparam=strict_gpiod` a released line reverts to an input, so the relays drop
 * out (hw/README.md). Inputs are sampled with `gpioget` (one short request per bias group per
 * sample), so no line is held by a process that could outlive us.
 *
 * gpioset does NOT exit when its stdin reaches EOF (libgpiod v2's interactive loop treats a NULL
 * line as empty and keeps going), so a SIGKILLed Node process would leave it running with the
 * lines latched. It is therefore started through `setpriv --pdeathsig KILL`: the kernel kills it
 * the moment its parent (us) dies, and releases the lines.
 *
 * Writes are asynchronous (a line on a pipe), so every burst of writes is followed ~20 ms later
 * by a `get`, and the reply must match what was set; a mismatch is a driver fault (→ ERROR).
 */
export class ChipGpioDriver implements GpioDriver {
  readonly kind = 'gpiochip' as const;
  onFault?: (reason: string) => void;
  private proc: ChildProcess | undefined;
  private alive = false;
  private closing = false;
  private chip = '';
  private stdout = '';
  private lineBuf = '';
  private stderr = '';
  /** Levels we asked for; every `get` reply is checked against the snapshot taken when it was sent. */
  private readonly expected = new Map<number, Level>();
  private readonly pendingChecks: Array<Map<number, Level>> = [];
  private verifyTimer: NodeJS.Timeout | undefined;
  private faulted = false;
  private readonly inputLevels = new Map<number, Level>();
  private groups: Array<{ bias: 'pull-up' | 'pull-down'; pins: number[] }> = [];
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private pollFailures = 0;

  constructor(private readonly opts: ChipGpioOptions = {}) {}

  /** The chip in use (`gpiochip4` …), after open. */
  chipName(): string {
    return this.chip;
  }

  async open(spec: GpioOpenSpec): Promise<Result<void>> {
    const chip = await this.findChip();
    if (!chip.ok) return chip;
    this.chip = chip.value;
    const gpioset = this.opts.gpioset ?? 'gpioset';
    try {
      const help = await run(gpioset, ['--help']);
      if (!/--interactive/.test(help.stdout + help.stderr)) {
        return fail(`gpiochip driver: ${gpioset} has no --interactive mode (libgpiod v2 with interactive support needed). Fix: apt install gpiod on Debian trixie / Raspberry Pi OS trixie`);
      }
    } catch (err) {
      return fail(`gpiochip driver: cannot run ${gpioset} (${(err as Error).message}). Fix: apt install gpiod`);
    }
    const setpriv = this.opts.setpriv ?? 'setpriv';
    try {
      const help = await run(setpriv, ['--help']);
      if (!/--pdeathsig/.test(help.stdout + help.stderr)) throw new Error('no --pdeathsig option');
    } catch (err) {
      return fail(`gpiochip driver: ${setpriv} --pdeathsig is unavailable (${(err as Error).message}); without it a killed process would leave the relays latched. Fix: apt install util-linux (≥ 2.33)`);
    }
    const args = ['--pdeathsig', 'KILL', '--', gpioset, '--interactive', '--chip', this.chip, '--consumer', 'wildfire-edge', ...spec.outputs.map((o) => `${o.pin}=${o.initial}`)];
    const proc = spawn(setpriv, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    this.alive = true;
    for (const o of spec.outputs) this.expected.set(o.pin, o.initial);
    proc.stdout?.on('data', (d: Buffer) => this.onStdout(d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    proc.stdin?.on('error', () => undefined); // EPIPE surfaces through 'exit' below
    proc.on('exit', (code, signal) => {
      const was = this.alive;
      this.alive = false;
      if (was && !this.closing) this.onFault?.(`gpioset exited (code ${code}, signal ${signal}): ${this.stderr.trim()}`);
    });
    // Handshake: `get` answers once the lines are requested; an error (busy line, bad chip) exits.
    const ready = await this.handshake(spec.outputs.map((o) => o.pin));
    if (!ready.ok) {
      this.closing = true;
      proc.kill('SIGTERM');
      return ready;
    }
    for (const bias of ['pull-up', 'pull-down'] as const) {
      const pins = spec.inputs.filter((i) => (i.pull === 'up') === (bias === 'pull-up')).map((i) => i.pin);
      if (pins.length) this.groups.push({ bias, pins });
    }
    if (this.groups.length) {
      const first = await this.sample();
      if (!first.ok) {
        await this.close();
        return first;
      }
      this.poller = setInterval(() => void this.sample(), this.opts.pollMs ?? 200);
    }
    return ok(undefined);
  }

  write(pin: number, level: Level): Result<void> {
    if (!this.alive || !this.proc?.stdin?.writable) return fail(`gpioset is not running: ${this.stderr.trim() || 'exited'}`);
    this.proc.stdin.write(`set ${pin}=${level}\n`);
    this.expected.set(pin, level);
    // Read back shortly after (batched): the line must report what we set, or the driver faults.
    this.verifyTimer ??= setTimeout(() => {
      this.verifyTimer = undefined;
      this.sendGet();
    }, 20);
    return ok(undefined);
  }

  read(pin: number): Level {
    return this.inputLevels.get(pin) ?? 0;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.verifyTimer) clearTimeout(this.verifyTimer);
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || !this.alive) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.stdin?.end('exit\n');
    });
  }

  private async handshake(pins: number[]): Promise<Result<void>> {
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 3000);
    this.sendGet();
    while (Date.now() < deadline) {
      if (!this.alive) return fail(`gpiochip driver: gpioset exited while requesting lines ${pins.join(',')} on ${this.chip}: ${this.stderr.trim()}. Fix: check no other process holds them (gpioinfo)`);
      if (pins.every((p) => new RegExp(`"?${p}"?=`).test(this.stdout))) return ok(undefined);
      await new Promise((r) => setTimeout(r, 10));
    }
    return fail(`gpiochip driver: gpioset did not answer within ${this.opts.readyTimeoutMs ?? 3000} ms`);
  }

  private sendGet(): void {
    if (!this.alive || !this.proc?.stdin?.writable) return;
    this.pendingChecks.push(new Map(this.expected));
    this.proc.stdin.write('get\n');
  }

  /** gpioset's replies to `get`: `"18"=active "23"=inactive` (after a `gpioset> ` prompt when piped). */
  private onStdout(chunk: string): void {
    this.stdout = (this.stdout + chunk).slice(-8000);
    this.lineBuf += chunk;
    let nl: number;
    while ((nl = this.lineBuf.indexOf('\n')) >= 0) {
      const line = this.lineBuf.slice(0, nl);
      this.lineBuf = this.lineBuf.slice(nl + 1);
      const pairs = [...line.matchAll(/"?(\d+)"?=(active|inactive)/g)];
      if (pairs.length === 0) continue;
      const want = this.pendingChecks.shift();
      if (!want || this.faulted || this.closing) continue;
      for (const [, pin, v] of pairs) {
        const got: Level = v === 'active' ? 1 : 0;
        const exp = want.get(Number(pin));
        if (exp !== undefined && exp !== got) {
          this.faulted = true;
          this.onFault?.(`gpioset reports line ${pin} = ${got} but ${exp} was set: the output is not following`);
          return;
        }
      }
    }
  }

  /** One input sample per bias group; repeated failures are a driver fault (fail safe). */
  private async sample(): Promise<Result<void>> {
    if (this.polling) return ok(undefined);
    this.polling = true;
    try {
      for (const g of this.groups) {
        const out = await run(this.opts.gpioget ?? 'gpioget', ['--chip', this.chip, `--bias=${g.bias}`, '--numeric', ...g.pins.map(String)]);
        const vals = out.stdout.trim().split(/\s+/);
        if (vals.length !== g.pins.length) throw new Error(`unexpected gpioget output "${out.stdout.trim()}"`);
        g.pins.forEach((p, i) => this.inputLevels.set(p, vals[i] === '1' ? 1 : 0));
      }
      this.pollFailures = 0;
      return ok(undefined);
    } catch (err) {
      this.pollFailures++;
      const reason = `gpioget failed: ${(err as Error).message}`;
      if (this.pollFailures === 5 && !this.closing) this.onFault?.(reason);
      return fail(`gpiochip driver: ${reason}`);
    } finally {
      this.polling = false;
    }
  }

  /** The RP1 chip by label, never by number (its number changes between kernels). */
  private async findChip(): Promise<Result<string>> {
    const label = this.opts.chipLabel ?? 'pinctrl-rp1';
    const dir = this.opts.sysDevices ?? '/sys/bus/gpio/devices';
    if (existsSync(dir)) {
      for (const name of readdirSync(dir)) {
        const f = join(dir, name, 'label');
        if (name.startsWith('gpiochip') && existsSync(f) && readFileSync(f, 'utf8').trim() === label) return ok(name);
      }
    }
    try {
      const out = await run(this.opts.gpiodetect ?? 'gpiodetect', []);
      for (const line of out.stdout.split('\n')) {
        const m = /^(gpiochip\d+)\s+\[([^\]]+)\]/.exec(line.trim());
        if (m && m[2] === label) return ok(m[1]);
      }
    } catch (err) {
      return fail(`gpiochip driver: no chip labelled ${label} in ${dir}, and gpiodetect failed (${(err as Error).message}). Fix: apt install gpiod; this driver is for the Pi 5`);
    }
    return fail(`gpiochip driver: no GPIO chip labelled ${label} (is this a Pi 5?). Fix: use driver: rpio on a Pi ≤ 4`);
  }
}
