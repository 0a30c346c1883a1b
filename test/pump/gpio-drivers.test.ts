import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { ChipGpioDriver } from '../../src/pump/gpio-chip.js';
import type { Level } from '../../src/pump/gpio-driver.js';
import { MockGpioDriver } from '../../src/pump/gpio-mock.js';
import { RpioGpioDriver } from '../../src/pump/gpio-rpio.js';
import { createGpioDriver, createPumpController, driverForModel, pumpConfigSchema } from '../../src/pump/index.js';
import { gpioDriverContract } from './gpio-contract.js';

const FIXTURE = new URL('./fixtures/fake-gpiod.sh', import.meta.url).pathname;

/** A temp dir with gpioset/gpioget/gpiodetect symlinked to the fake tool. */
function fakeTools(): { dir: string; tool: (n: string) => string; outputs: () => Record<string, number>; setInput: (pin: number, l: Level) => void; file: (n: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'wfe-gpiod-'));
  copyFileSync(FIXTURE, join(dir, 'fake-gpiod.sh'));
  for (const n of ['gpioset', 'gpioget', 'gpiodetect']) symlinkSync(join(dir, 'fake-gpiod.sh'), join(dir, n));
  const inputs: Record<string, number> = {};
  const file = (n: string) => (existsSync(join(dir, n)) ? readFileSync(join(dir, n), 'utf8').trim() : '');
  return {
    dir,
    file,
    tool: (n) => join(dir, n),
    outputs: () => Object.fromEntries(file('outputs').split('\n').filter(Boolean).map((l) => l.split('=').map(Number))),
    setInput: (pin, l) => {
      inputs[pin] = l;
      writeFileSync(join(dir, 'inputs.tmp'), Object.entries(inputs).map(([p, v]) => `${p}=${v}\n`).join(''));
      renameSync(join(dir, 'inputs.tmp'), join(dir, 'inputs'));
    },
  };
}

describe('GPIO driver contract: mock', () => {
  gpioDriverContract(async () => {
    const d = new MockGpioDriver({ clock: new VirtualClock() });
    return { driver: d, outputLevel: (p) => d.level(p), setInput: (p, l) => d.setInput(p, l), cleanup: async () => undefined };
  });
});

describe('GPIO driver contract: rpio in its own mock mode (the real rpio code path)', () => {
  const rpio = createRequire(import.meta.url)('rpio') as { read(p: number): number; write(p: number, v: number): void };
  gpioDriverContract(async () => {
    const d = new RpioGpioDriver({ rpioMock: 'raspi-3' });
    return {
      driver: d,
      outputLevel: (p) => (rpio.read(p) ? 1 : 0),
      setInput: (p, l) => rpio.write(p, l), // rpio's mock keeps one level per line
      cleanup: () => d.close(),
    };
  });
});

describe('GPIO driver contract: gpiochip against a fake gpiod tool', () => {
  gpioDriverContract(async () => {
    const f = fakeTools();
    const d = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpioget: f.tool('gpioget'), gpiodetect: f.tool('gpiodetect'), sysDevices: join(f.dir, 'no-sys'), pollMs: 30 });
    return { driver: d, outputLevel: (p) => f.outputs()[p] as Level | undefined, setInput: f.setInput, cleanup: () => d.close() };
  });
});

describe('rpio driver in production mode', () => {
  it('fails loudly without /dev/gpiomem instead of falling back to mock', async () => {
    const d = new RpioGpioDriver({ gpiomemPath: '/nonexistent/gpiomem' });
    const r = await d.open({ outputs: [{ pin: 18, initial: 0 }], inputs: [] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/\/nonexistent\/gpiomem not found.*cannot operate/);
  });

  it("refuses rpio's silent fallback to its mock mode", async () => {
    const listeners: Array<(m: string) => void> = [];
    const fake = {
      init: () => listeners.forEach((l) => l('Hardware auto-detect failed, running in raspi-3 mock mode')),
      on: (_: string, fn: (m: string) => void) => listeners.push(fn),
      removeListener: () => undefined,
      open: () => undefined, write: () => undefined, read: () => 0, close: () => undefined,
      INPUT: 0, OUTPUT: 1, PULL_UP: 2, PULL_DOWN: 1, PIN_RESET: 1, PIN_PRESERVE: 0,
    };
    const gpiomem = join(mkdtempSync(join(tmpdir(), 'wfe-')), 'gpiomem');
    writeFileSync(gpiomem, '');
    const r = await new RpioGpioDriver({ gpiomemPath: gpiomem, load: () => fake }).open({ outputs: [], inputs: [] });
    expect(!r.ok && r.reason).toMatch(/fell back to its mock mode/);
  });
});

describe('gpiochip driver', () => {
  it('finds the RP1 chip by label in /sys/bus/gpio/devices, not by number', async () => {
    const f = fakeTools();
    const sys = join(f.dir, 'sys');
    for (const [chip, label] of [['gpiochip0', 'gpio-brcmstb@107d508500'], ['gpiochip4', 'pinctrl-rp1']]) {
      mkdirSync(join(sys, chip), { recursive: true });
      writeFileSync(join(sys, chip, 'label'), `${label}\n`);
    }
    const d = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpioget: f.tool('gpioget'), gpiodetect: '/nonexistent', sysDevices: sys });
    expect((await d.open({ outputs: [{ pin: 18, initial: 0 }], inputs: [] })).ok).toBe(true);
    expect(d.chipName()).toBe('gpiochip4');
    await d.close();
  });

  it('falls back to gpiodetect, and fails loudly when no chip has the label', async () => {
    const f = fakeTools();
    const d = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpioget: f.tool('gpioget'), gpiodetect: f.tool('gpiodetect'), sysDevices: '/nonexistent', chipLabel: 'pinctrl-rp1' });
    expect((await d.open({ outputs: [{ pin: 18, initial: 0 }], inputs: [] })).ok).toBe(true);
    expect(f.file('args')).toBe('--interactive --chip gpiochip4 --consumer wildfire-edge 18=0');
    await d.close();
    const bad = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpiodetect: f.tool('gpiodetect'), sysDevices: '/nonexistent', chipLabel: 'pinctrl-xyz' });
    const r = await bad.open({ outputs: [], inputs: [] });
    expect(!r.ok && r.reason).toMatch(/no GPIO chip labelled pinctrl-xyz/);
  });

  it('an unset input reads its bias (broken wire → unsafe value)', async () => {
    const f = fakeTools();
    const d = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpioget: f.tool('gpioget'), gpiodetect: f.tool('gpiodetect'), sysDevices: '/nonexistent' });
    await d.open({ outputs: [], inputs: [{ pin: 5, pull: 'up' }, { pin: 6, pull: 'down' }] });
    expect([d.read(5), d.read(6)]).toEqual([1, 0]);
    await d.close();
  });

  it('reads every write back: a line that does not follow is a driver fault', async () => {
    const f = fakeTools();
    process.env.FAKE_GPIO_STUCK = '24';
    const d = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpioget: f.tool('gpioget'), gpiodetect: f.tool('gpiodetect'), sysDevices: '/nonexistent' });
    try {
      expect((await d.open({ outputs: [{ pin: 18, initial: 0 }, { pin: 24, initial: 0 }], inputs: [] })).ok).toBe(true);
      const faults: string[] = [];
      d.onFault = (r) => faults.push(r);
      d.write(18, 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(faults).toEqual([]); // line 18 follows
      d.write(24, 1);
      const end = Date.now() + 5000;
      while (faults.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(faults[0]).toMatch(/line 24 = 0 but 1 was set/);
    } finally {
      delete process.env.FAKE_GPIO_STUCK;
      await d.close();
    }
  });

  it('reports a fault when the gpioset process dies, and writes then fail', async () => {
    const f = fakeTools();
    const d = new ChipGpioDriver({ gpioset: f.tool('gpioset'), gpioget: f.tool('gpioget'), gpiodetect: f.tool('gpiodetect'), sysDevices: '/nonexistent' });
    await d.open({ outputs: [{ pin: 18, initial: 0 }], inputs: [] });
    const fault = new Promise<string>((r) => (d.onFault = r));
    process.kill(Number(f.file('pid')), 'SIGKILL');
    expect(await fault).toMatch(/gpioset exited/);
    expect(d.write(18, 1).ok).toBe(false);
  });
});

describe('gpiochip driver: the line holder dies with us', () => {
  const CHILD = new URL('./fixtures/chip-child.ts', import.meta.url).pathname;
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    // A zombie (dead, not yet reaped by a container's init) holds no GPIO lines either.
    return !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  };

  it('SIGKILL of the Node process kills gpioset (setpriv --pdeathsig), so the kernel releases the lines', async () => {
    const f = fakeTools();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, f.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`child did not open: ${err}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => d.toString().includes('OPEN') && (clearTimeout(t), resolve()));
    });
    const pid = Number(f.file('pid'));
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    const end = Date.now() + 5000;
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });
});

describe('driver selection (auto)', () => {
  const model = (text: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'wfe-model-')), 'model');
    writeFileSync(p, `${text}\0`);
    return p;
  };

  it('picks rpio on a Pi ≤ 4 and gpiochip on a Pi 5 by /proc/device-tree/model', () => {
    expect(driverForModel('Raspberry Pi 4 Model B Rev 1.4')).toBe('rpio');
    expect(driverForModel('Raspberry Pi 3 Model B Plus Rev 1.3')).toBe('rpio');
    expect(driverForModel('Raspberry Pi 5 Model B Rev 1.0')).toBe('gpiochip');
    expect(driverForModel('Raspberry Pi Compute Module 5 Rev 1.0')).toBe('gpiochip');
    const clock = new VirtualClock();
    const four = createGpioDriver({ driver: 'auto', clock, modelPath: model('Raspberry Pi 4 Model B Rev 1.4') });
    expect(four.ok && four.value.kind).toBe('rpio');
    const five = createGpioDriver({ driver: 'auto', clock, modelPath: model('Raspberry Pi 5 Model B Rev 1.0') });
    expect(five.ok && five.value.kind).toBe('gpiochip');
  });

  it('refuses to guess off a Pi, and never becomes mock', () => {
    const clock = new VirtualClock();
    for (const modelPath of ['/nonexistent/model', model('QEMU Virtual Machine')]) {
      const r = createGpioDriver({ driver: 'auto', clock, modelPath });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toMatch(/no GPIO driver was chosen/);
    }
  });

  it('a Pi 4 without GPIO access makes the controller fail to start instead of running mocked', async () => {
    if (existsSync('/dev/gpiomem')) return; // this check is about machines without GPIO
    const r = await createPumpController({
      config: pumpConfigSchema.parse({ driver: 'auto' }),
      nodeId: 'n',
      stateDir: mkdtempSync(join(tmpdir(), 'wfe-')),
      logger: silentLogger(),
      clock: new VirtualClock(),
      modelPath: model('Raspberry Pi 4 Model B Rev 1.4'),
    });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/GPIO rpio could not open.*\/dev\/gpiomem/);
  });
});
