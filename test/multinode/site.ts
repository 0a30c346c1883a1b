import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { TestMosquitto } from '../helpers/mosquitto.js';

/**
 * A site of several Pis on one Mosquitto, in network namespaces (issue 17). Each node is a real
 * `wildfire-edge run` process of the esbuild bundle inside its own namespace, joined to the test's
 * namespace by a veth pair (10.77.<n>.2 on the node, 10.77.<n>.1 here, where the broker listens).
 * A partition is the node's link going down (this kernel has no `tc netem`): its TCP connections
 * go silent, exactly like a Wi-Fi link that drops, and nothing is closed cleanly.
 *
 * Everything the test observes goes through the broker (a plain mqtt.js observer) or the nodes'
 * JSON log lines on stdout: nothing is read from inside a node.
 */

/** Null when namespaces can be made here, else why not (the suite skips with that reason). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  const probe = `wfe-probe-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error) return `the ip command is missing (${r.error.message}); install iproute2`;
  if (r.status !== 0) return `ip netns add is not permitted here (${r.stderr.trim()}); run as root with CAP_SYS_ADMIN`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Committed footage: fire from two angles, and a scene with neither fire nor smoke. */
export const FOOTAGE = {
  fireNorth: resolve('deploy/demo/footage/fire-north'),
  fireEast: resolve('test/fixtures/footage/fire-east'),
  negative: resolve('test/fixtures/footage/negative'),
};

/** Pump timings short enough for a test (the mock driver allows them; docs/pump.md ranges are for real pumps). */
export const SITE_PUMP_TIMINGS = {
  preOpenDelay: 1,
  ignitionOnLeadTime: 0.2,
  ignitionStartDuration: 0.5,
  primingDuration: 2,
  fireOffDelay: 8,
  rpmReductionDuration: 0.5,
  rpmReductionLead: 2,
  maxEngineRuntime: 20,
  ignitionOffDuration: 0.5,
  valveCloseDelay: 1,
  cooldownDuration: 1,
};

/** One received message. */
export interface Seen {
  at: number;
  topic: string;
  retained: boolean;
  json: Record<string, unknown> | null;
  text: string;
}

/** One node process. */
export interface SiteNode {
  id: string;
  ns: string;
  /** The veth end in the test's namespace. */
  host: string;
  /** The node's subnet number (10.77.<net>.0/24). */
  net: number;
  proc: ChildProcess;
  /** Parsed JSON log lines. */
  logs: Array<Record<string, unknown>>;
  /** A folder the node's camera reads, when it has one (swap its pictures with {@link Site.showScene}). */
  sceneDir?: string;
}

/** Node roles and settings. */
export interface NodeSpec {
  id: string;
  roles: Array<'camera' | 'consensus' | 'pump'>;
  /** Camera id and its first scene (a folder of pictures, copied so the test can swap them). */
  camera?: { id: string; scene: string };
  consensus?: Record<string, unknown>;
  /** Extra `mqtt` settings (merged over the site's). */
  mqtt?: Record<string, unknown>;
}

/** Namespace/veth/subnet counter for the whole test process: names and subnets never repeat between sites. */
let netSeq = 0;

export class Site {
  readonly broker: TestMosquitto;
  readonly seen: Seen[] = [];
  readonly nodes = new Map<string, SiteNode>();
  private readonly tag = (process.pid % 100000).toString(36);
  private readonly work = mkdtempSync(join(tmpdir(), 'wfe-site-'));
  private observer: MqttClient | undefined;
  private bundle = '';

  constructor() {
    this.broker = new TestMosquitto({
      config: ['listener {port} 0.0.0.0', 'allow_anonymous true', 'persistence true', 'persistence_location {dir}/', 'autosave_interval 1', 'max_queued_messages 10000', 'log_dest stderr', 'log_type error'].join('\n'),
    });
  }

  /** Build the bundle into a private folder (the tested code, not a stale dist/), start the broker and the observer. */
  async start(): Promise<void> {
    const out = resolve('test-artifacts', `multinode-dist-${process.pid}`);
    execFileSync(process.execPath, ['build.mjs'], { env: { ...process.env, WFE_BUILD_OUT: out }, stdio: 'pipe' });
    this.bundle = join(out, 'wildfire-edge.mjs');
    await this.broker.start();
    const obs = mqtt.connect(`mqtt://127.0.0.1:${this.broker.port}`, { protocolVersion: 5, clientId: `observer-${this.tag}-${Date.now()}`, clean: true, reconnectPeriod: 200 });
    // Subscribed again on every connect: a broker restart with a fresh store forgets subscriptions.
    obs.on('connect', () => obs.subscribe(['fire/#', 'pump/#', 'consensus/#', 'camera/+/status', 'system/+/availability', 'system/+/health'], { qos: 1 }));
    obs.on('message', (topic, payload, packet) => {
      const text = payload.toString('utf8');
      let json: Record<string, unknown> | null = null;
      try {
        const v = JSON.parse(text) as unknown;
        if (v && typeof v === 'object') json = v as Record<string, unknown>;
      } catch {
        /* plain text (availability) */
      }
      this.seen.push({ at: Date.now(), topic, retained: packet.retain === true, json, text });
    });
    this.observer = obs;
    await until(() => obs.connected, 10_000, 'observer connected');
  }

  /** Start one node in a namespace of its own. */
  async addNode(spec: NodeSpec): Promise<SiteNode> {
    const n = ++netSeq;
    const ns = `wfe${this.tag}n${n}`;
    const host = `wh${this.tag}${n}`;
    const peer = `wp${this.tag}${n}`;
    ip('netns', 'add', ns);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', ns);
    ip('addr', 'add', `10.77.${n}.1/24`, 'dev', host);
    ip('link', 'set', host, 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', peer, 'name', 'eth0');
    ip('-n', ns, 'addr', 'add', `10.77.${n}.2/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', `10.77.${n}.1`);

    const dir = join(this.work, spec.id);
    mkdirSync(dir, { recursive: true });
    let sceneDir: string | undefined;
    if (spec.camera) {
      sceneDir = join(dir, 'scene');
      cpSync(spec.camera.scene, sceneDir, { recursive: true });
    }
    const config = {
      node: { id: spec.id },
      roles: spec.roles,
      stateDir: join(dir, 'state'),
      log: { level: 'info', format: 'json' },
      mqtt: {
        url: `mqtt://10.77.${n}.1:${this.broker.port}`,
        keepaliveSeconds: 2,
        connectTimeoutSeconds: 2,
        backoff: { baseMs: 200, capMs: 1000 },
        maxReconnectAttempts: 0,
        closeGraceMs: 1000,
        outbox: { fsync: 'never' },
        ...spec.mqtt,
      },
      http: { enabled: false },
      ...(spec.camera ? { cameras: [{ id: spec.camera.id, url: `dir://${sceneDir}`, fps: 2, width: 320, height: 240, loop: true }] } : {}),
      consensus: { threshold: 2, triggerTtlSeconds: 60, cameraTimeoutSeconds: 5, triggerAck: { resendSeconds: 3 }, ...spec.consensus },
      pump: { driver: 'mock', timings: SITE_PUMP_TIMINGS },
    };
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify(config, null, 2));
    const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, this.bundle, 'run', '--config', cfg], {
      cwd: dir,
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node: SiteNode = { id: spec.id, ns, host, net: n, proc, logs: [], sceneDir };
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          node.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          node.logs.push({ msg: line });
        }
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.nodes.set(spec.id, node);
    return node;
  }

  /** Wait until every started node is `online` on the broker. */
  async allOnline(timeoutMs = 60_000, since = 0): Promise<void> {
    for (const id of this.nodes.keys()) {
      await until(() => this.last(`system/${id}/availability`, since)?.text === 'online', timeoutMs, `node ${id} online`);
    }
  }

  /** Cut a node's link (its interface down: no FIN, no RST, like a Wi-Fi drop). */
  linkDown(id: string): void {
    ip('-n', this.nodes.get(id)!.ns, 'link', 'set', 'eth0', 'down');
  }

  /** Restore a node's link (address and default route are re-added: link down removes the route). */
  linkUp(id: string): void {
    const node = this.nodes.get(id)!;
    ip('-n', node.ns, 'link', 'set', 'eth0', 'up');
    spawnSync('ip', ['-n', node.ns, 'route', 'replace', 'default', 'via', `10.77.${node.net}.1`]);
  }

  /** Replace the pictures a node's camera loops over. */
  showScene(id: string, scene: string): void {
    const dir = this.nodes.get(id)!.sceneDir!;
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
    cpSync(scene, dir, { recursive: true });
  }

  /** Messages on `topic` (exact) received at or after `since`. */
  on(topic: string, since = 0): Seen[] {
    return this.seen.filter((s) => s.topic === topic && s.at >= since);
  }

  /** Messages whose topic matches `re`, received at or after `since`. */
  matching(re: RegExp, since = 0): Seen[] {
    return this.seen.filter((s) => re.test(s.topic) && s.at >= since);
  }

  last(topic: string, since = 0): Seen | undefined {
    const all = this.on(topic, since);
    return all[all.length - 1];
  }

  /** Distinct trigger ids published on fire/trigger since `since`. */
  triggerIds(since = 0): string[] {
    return [...new Set(this.on('fire/trigger', since).map((s) => String(s.json?.id)))];
  }

  /** Wall-clock ms the pump's retained state first showed the main valve open, since `since`. */
  valveOpenedAt(pump: string, since = 0): number | null {
    const s = this.on(`pump/${pump}/state`, since).find((m) => (m.json?.outputs as Record<string, boolean> | undefined)?.mainValve === true);
    return s ? s.at : null;
  }

  /** Pump runs started (transitions into PRIMING in the pump's events) since `since`. */
  runsStarted(pump: string, since = 0): number {
    // By event id: QoS 1 is at least once, and a copy re-sent after a lost PUBACK is the same event.
    return new Set(this.on(`pump/${pump}/event`, since).filter((m) => m.json?.event === 'transition' && m.json?.to === 'PRIMING').map((m) => String(m.json?.id))).size;
  }

  /** Earliest captured_at (wall ms) of a detection with fire or smoke since `since`. */
  firstFireFrameAt(since = 0): number | null {
    let first: number | null = null;
    for (const m of this.matching(/^fire\/detection\//, since)) {
      const dets = (m.json?.detections as Array<{ label?: string }> | undefined) ?? [];
      if (!dets.some((d) => d.label === 'fire' || d.label === 'smoke')) continue;
      const cap = (m.json?.frame as { captured_at?: number } | undefined)?.captured_at;
      const t = typeof cap === 'number' ? cap * 1000 : m.at;
      if (first === null || t < first) first = t;
    }
    return first;
  }

  /** Stop every node (SIGTERM, then SIGKILL), the observer, the broker; delete the namespaces. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()].map(
        (n) =>
          new Promise<void>((r) => {
            if (n.proc.exitCode !== null || n.proc.signalCode !== null) return r();
            const kill = setTimeout(() => n.proc.kill('SIGKILL'), 8000);
            n.proc.once('exit', () => (clearTimeout(kill), r()));
            n.proc.kill('SIGTERM');
          }),
      ),
    );
    for (const n of this.nodes.values()) {
      spawnSync('ip', ['netns', 'del', n.ns]);
      spawnSync('ip', ['link', 'del', n.host]); // normally gone with the namespace
    }
    this.nodes.clear();
    await this.observer?.endAsync(true);
    await this.broker.stop();
    rmSync(this.work, { recursive: true, force: true });
    rmSync(resolve('test-artifacts', `multinode-dist-${process.pid}`), { recursive: true, force: true });
  }

  /** A node's log lines, for a failure message. */
  tail(id: string, n = 15): string {
    return (this.nodes.get(id)?.logs ?? []).slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }
}

/** Poll `pred` every 50 ms; throws naming `what` after `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
