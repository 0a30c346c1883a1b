/**
 * A small network lab for the discovery tests (issue 16): a bridge in the test's namespace and one
 * network namespace per emulated camera (or advertiser), each joined to the bridge by a veth pair,
 * with a 224.0.0.0/4 route inside every namespace. The test side sends multicast through the
 * bridge by naming it (the node's `discovery.interfaces`), so no route is added to the host's own
 * table, where it would redirect other programs' multicast. Names carry a random tag so parallel
 * runs do not collide; {@link NetLab.destroy} (also run at process exit) removes everything.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Whether this machine lets us create network namespaces (root and CAP_SYS_ADMIN). */
export function netnsPermitted(): { ok: boolean; reason: string } {
  const probe = `dsclab-probe-${randomBytes(3).toString('hex')}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return { ok: true, reason: '' };
  } catch (e) {
    return { ok: false, reason: `\`ip netns add\` is not permitted here (${String((e as { stderr?: Buffer }).stderr ?? e).trim()}); the discovery network tests need root with CAP_SYS_ADMIN` };
  }
}

/**
 * Removes what a killed run (SIGKILL: no exit handler ran) left behind: namespaces named
 * `dsclab-<pid>-<tag>-<i>` whose pid is gone, and their bridge `dscb<tag>`.
 */
function sweepDeadLabs(): void {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const m of list.matchAll(/^dsclab-(\d+)-([0-9a-f]{4})-\d+/gm)) {
    const pid = Number(m[1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (alive) continue;
    try {
      ip('netns', 'del', m[0]);
    } catch {
      // a parallel sweep got it first
    }
    try {
      ip('link', 'del', `dscb${m[2]}`);
    } catch {
      // already gone
    }
  }
}

/** One namespace on the lab's bridge. */
export interface LabHost {
  ns: string;
  address: string;
  /** Moves the host to a new address on the same subnet (what a DHCP renewal does). */
  moveTo(address: string): void;
  /** Takes the namespace's link down: the host is gone from the network (its programs keep running). */
  unplug(): void;
  /** Brings the link back up (address and multicast route restored). */
  plug(): void;
  /** Runs a program inside the namespace; killed by destroy(). */
  spawn(cmd: string, args: string[]): ChildProcess;
}

/** The lab. */
export class NetLab {
  readonly tag = randomBytes(2).toString('hex');
  readonly bridge = `dscb${this.tag}`;
  /** First three octets of the lab's /24. */
  readonly subnet = `10.${200 + (parseInt(this.tag.slice(0, 2), 16) % 50)}.${parseInt(this.tag.slice(2), 16)}`;
  readonly hostAddress = `${this.subnet}.1`;
  private readonly hosts: LabHost[] = [];
  private readonly children: ChildProcess[] = [];
  private destroyed = false;
  private readonly onExit = () => this.destroy();
  // A test run stopped by a signal still removes its namespaces (then dies of that signal).
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.destroy();
    process.kill(process.pid, sig);
  };

  constructor() {
    sweepDeadLabs();
    ip('link', 'add', this.bridge, 'type', 'bridge', 'mcast_snooping', '0');
    ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    process.once('exit', this.onExit);
    process.once('SIGTERM', this.onSignal);
    process.once('SIGINT', this.onSignal);
  }

  /** Adds a namespace at `<subnet>.<octet>`. */
  addHost(octet: number): LabHost {
    const i = this.hosts.length;
    const ns = `dsclab-${process.pid}-${this.tag}-${i}`;
    const veth = `dscv${this.tag}${i}`;
    ip('netns', 'add', ns);
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('link', 'set', veth, 'master', this.bridge, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    const address = `${this.subnet}.${octet}`;
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    ip('-n', ns, 'route', 'replace', '224.0.0.0/4', 'dev', 'eth0');
    const children = this.children;
    const host: LabHost = {
      ns,
      address,
      moveTo(next: string) {
        ip('-n', ns, 'addr', 'flush', 'dev', 'eth0');
        ip('-n', ns, 'addr', 'add', `${next}/24`, 'dev', 'eth0');
        ip('-n', ns, 'route', 'replace', '224.0.0.0/4', 'dev', 'eth0');
        host.address = next;
      },
      unplug() {
        ip('-n', ns, 'link', 'set', 'eth0', 'down');
      },
      plug() {
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'route', 'replace', '224.0.0.0/4', 'dev', 'eth0');
      },
      spawn(cmd: string, args: string[]) {
        const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
        children.push(c);
        return c;
      },
    };
    this.hosts.push(host);
    return host;
  }

  /** Kills every process started in the lab and deletes the namespaces and the bridge. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.onExit);
    process.removeListener('SIGTERM', this.onSignal);
    process.removeListener('SIGINT', this.onSignal);
    for (const c of this.children) {
      try {
        c.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const h of this.hosts) {
      try {
        ip('netns', 'del', h.ns);
      } catch {
        // already gone
      }
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      // already gone
    }
  }
}

/** Resolves with the first stdout line matching `re` (rejects after `ms` or when the process exits). */
export function waitForLine(c: ChildProcess, re: RegExp, ms = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; stderr: ${err.slice(-500)}`)), ms);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        if (re.test(l)) {
          clearTimeout(t);
          c.stdout?.off('data', onData);
          resolve(l);
          return;
        }
      }
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    c.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`process exited (${code}) before a line matching ${re}; stderr: ${err.slice(-500)}`));
    });
  });
}

/** Starts the ONVIF emulator in `host`; resolves once it listens. */
export async function startEmulator(host: LabHost, opts: Record<string, unknown>): Promise<ChildProcess> {
  const c = host.spawn(process.execPath, ['--import', 'tsx', 'test/discovery/onvif-emulator.ts', JSON.stringify(opts)]);
  await waitForLine(c, /^ready /);
  return c;
}

/** Starts the GStreamer RTSP server (test pattern at /cam1) in `host` on 0.0.0.0:`port`. */
export async function startRtsp(host: LabHost, port: number): Promise<ChildProcess> {
  const c = host.spawn('/usr/bin/python3', ['test/capture/gst-rtsp-server.py', String(port), '0.0.0.0']);
  await waitForLine(c, /^ready/);
  return c;
}

/** Starts the mDNS advertiser in `host`. */
export async function startAdvertiser(host: LabHost, opts: { name: string; rtspPort: number; path?: string; onvifPort?: number }): Promise<ChildProcess> {
  const c = host.spawn(process.execPath, ['--import', 'tsx', 'test/discovery/mdns-advertiser.ts', JSON.stringify(opts)]);
  await waitForLine(c, /^ready/);
  return c;
}
