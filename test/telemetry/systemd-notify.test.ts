import { describe, expect, it } from 'vitest';
import { fail, ok } from '../../src/core/result.js';
import { VirtualClock } from '../../src/core/virtual-clock.js';
import { memoryLogger } from '../../src/log/logger.js';
import { createSystemdNotifier, type CommandRunner } from '../../src/telemetry/index.js';

function rec(result = ok('')) {
  const calls: string[] = [];
  let answer = result;
  const run: CommandRunner = async (cmd, args) => {
    calls.push(`${cmd} ${args.join(' ')}`);
    return answer;
  };
  return { calls, run, set: (r: typeof answer) => (answer = r) };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('systemd notifier', () => {
  it('is a no-op without NOTIFY_SOCKET', async () => {
    const r = rec();
    const clock = new VirtualClock();
    const n = createSystemdNotifier({ logger: memoryLogger(), clock, env: { WATCHDOG_USEC: '30000000' }, run: r.run });
    expect(n.enabled).toBe(false);
    expect(n.watchdogIntervalMs).toBeNull();
    await n.ready();
    await n.stopping();
    clock.advance(600_000);
    expect(r.calls).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('sends READY, pings WATCHDOG=1 every WATCHDOG_USEC/2 from the clock, STOPPING ends the pings', async () => {
    const r = rec();
    const clock = new VirtualClock();
    const n = createSystemdNotifier({ logger: memoryLogger(), clock, env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, pid: 42, run: r.run });
    expect(n.watchdogIntervalMs).toBe(15_000);
    await n.ready('watching 2 cameras');
    expect(r.calls).toEqual(['systemd-notify READY=1 STATUS=watching 2 cameras']);
    clock.advance(14_999);
    expect(r.calls).toHaveLength(1);
    clock.advance(1);
    clock.advance(15_000);
    await flush();
    expect(r.calls.slice(1)).toEqual(['systemd-notify WATCHDOG=1', 'systemd-notify WATCHDOG=1']);
    await n.stopping();
    expect(r.calls.at(-1)).toBe('systemd-notify STOPPING=1');
    clock.advance(120_000);
    expect(r.calls.filter((c) => c.endsWith('WATCHDOG=1'))).toHaveLength(2);
    expect(n.metrics()).toMatchObject({ watchdog_pings: 2, sent: 4, failed: 0 });
  });

  it('does not ping when the watchdog belongs to another pid or is not configured', async () => {
    const r = rec();
    const clock = new VirtualClock();
    const other = createSystemdNotifier({ logger: memoryLogger(), clock, env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, pid: 42, run: r.run });
    expect(other.watchdogIntervalMs).toBeNull();
    const none = createSystemdNotifier({ logger: memoryLogger(), clock, env: { NOTIFY_SOCKET: '/run/x' }, run: r.run });
    expect(none.watchdogIntervalMs).toBeNull();
    await other.ready();
    await none.ready();
    clock.advance(600_000);
    expect(r.calls).toEqual(['systemd-notify READY=1', 'systemd-notify READY=1']);
  });

  it('logs the first failure of a streak only, and counts every one', async () => {
    const r = rec(fail('systemd-notify: not installed'));
    const log = memoryLogger();
    const clock = new VirtualClock();
    const n = createSystemdNotifier({ logger: log, clock, env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '2000000' }, run: r.run });
    await n.ready();
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(n.metrics().failed).toBe(6);
    expect(log.lines.filter((l) => l.level === 50)).toHaveLength(1);
    r.set(ok(''));
    clock.advance(1000);
    await flush();
    expect(log.lines.some((l) => l.msg === 'systemd-notify works again')).toBe(true);
    n.stop();
  });
});

describe('systemd notifier with the real systemd-notify binary', () => {
  it('delivers READY/STATUS, WATCHDOG and STOPPING datagrams to NOTIFY_SOCKET', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runCommand } = await import('../../src/telemetry/command.js');
    const dir = mkdtempSync(join(tmpdir(), 'wfe-notify-'));
    const sock = join(dir, 'notify.sock');
    // A stand-in for the service manager: prints each datagram as JSON and closes passed fds
    // (systemd-notify waits on a BARRIER=1 fd until the manager closes it).
    writeFileSync(
      join(dir, 'manager.py'),
      [
        'import array, json, os, socket, sys',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
        's.bind(sys.argv[1])',
        'print("ready", flush=True)',
        'while True:',
        '    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(64))',
        '    for lvl, typ, d in anc:',
        '        if typ == socket.SCM_RIGHTS:',
        '            fds = array.array("i"); fds.frombytes(d[: len(d) - len(d) % 4])',
        '            [os.close(fd) for fd in fds]',
        '    print(json.dumps(data.decode()), flush=True)',
      ].join('\n'),
    );
    const mgr = spawn('python3', [join(dir, 'manager.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let buf = '';
    mgr.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    const waitFor = async (pred: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timeout; got ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      await waitFor(() => lines.includes('ready'));
      const clock = new VirtualClock();
      const n = createSystemdNotifier({ logger: memoryLogger(), clock, env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '2000000' }, run: runCommand });
      await n.ready('watching');
      clock.advance(1000);
      await waitFor(() => n.metrics().watchdog_pings === 1 && n.metrics().sent === 2);
      await n.stopping();
      const msgs = lines.filter((l) => l !== 'ready').map((l) => JSON.parse(l) as string).filter((m) => m !== 'BARRIER=1');
      expect(msgs).toEqual(['READY=1\nSTATUS=watching', 'WATCHDOG=1', 'STOPPING=1']);
      expect(n.metrics().failed).toBe(0);
    } finally {
      mgr.kill();
    }
  });
});
