/**
 * Discovery figures (issue 16), against the in-repo ONVIF emulator in network namespaces (needs
 * root: `ip netns`). Not part of the default `npm run bench` list; run it by name:
 *
 *   node --import tsx bench/run.ts discovery
 *
 * - discovery.complete_ms_{1,8}: from the start of a round until the last emulated camera's ONVIF
 *   queries (device info, profiles, stream + snapshot URIs, digest auth) are done; median of 5 rounds.
 * - discovery.round_ms_8: a whole round including the listening window (probeSeconds 1).
 * - discovery.follow_ms: from an address change of a configured camera (by serial) until the node's
 *   discovery service hands the camera role the new URL, interval 5 s, moves at random points of the
 *   interval; median and max of 5 moves.
 */
import { discoveryConfigSchema } from '../src/discovery/config.js';
import { discoveryRound } from '../src/discovery/round.js';
import { createDiscoveryService } from '../src/discovery/service.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/log/logger.js';
import { NetLab, startEmulator } from '../test/discovery/netlab.js';
import type { BenchFigure } from './types.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const creds = { username: 'admin', password: 'bench' };

async function completeMs(n: number): Promise<{ complete: number; round: number }> {
  const lab = new NetLab();
  try {
    await Promise.all(Array.from({ length: n }, (_, i) => startEmulator(lab.addHost(11 + i), { serial: `SN-${i}`, mac: `00:11:22:33:44:${(16 + i).toString(16)}`, ...creds })));
    const cfg = discoveryConfigSchema.parse({ interfaces: [lab.bridge], probeSeconds: 1, mdns: false, credentials: creds });
    const complete: number[] = [];
    const round: number[] = [];
    for (let k = 0; k < 5; k++) {
      const r = await discoveryRound(cfg);
      const ok = r.cameras.filter((c) => c.serial !== null).length;
      if (ok !== n) throw new Error(`round found ${ok} of ${n} cameras`);
      complete.push(r.completeAfterMs ?? NaN);
      round.push(r.durationMs);
    }
    return { complete: median(complete), round: median(round) };
  } finally {
    lab.destroy();
  }
}

async function followMs(): Promise<number[]> {
  const lab = new NetLab();
  try {
    const host = lab.addHost(11);
    await startEmulator(host, { serial: 'SN-MOVE', mac: '00:11:22:33:44:55', ...creds });
    const cfg = discoveryConfigSchema.parse({ interfaces: [lab.bridge], intervalSeconds: 5, probeSeconds: 1, mdns: false, credentials: creds });
    let onUrl: ((url: string) => void) | null = null;
    const svc = createDiscoveryService({
      config: cfg,
      cameras: [{ id: 'yard', url: '', onvif: { serial: 'SN-MOVE' } }],
      nodeId: 'bench',
      logger: silentLogger(),
      clock: systemClock,
      applyUrl: (_c, url) => onUrl?.(url),
    });
    const first = new Promise<void>((resolve) => (onUrl = () => resolve()));
    svc.start();
    await first;
    const out: number[] = [];
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setTimeout(r, Math.random() * 5000));
      const next = `${lab.subnet}.${60 + k}`;
      const seen = new Promise<void>((resolve) => (onUrl = (url) => url.includes(`@${next}:`) && resolve()));
      const t0 = performance.now();
      host.moveTo(next);
      await seen;
      out.push(Math.round(performance.now() - t0));
    }
    await svc.stop();
    return out;
  } finally {
    lab.destroy();
  }
}

export async function run(): Promise<BenchFigure[]> {
  const one = await completeMs(1);
  const eight = await completeMs(8);
  const follow = await followMs();
  return [
    { name: 'discovery.complete_ms_1', value: one.complete, unit: 'ms', note: '1 emulated camera, queried as its ProbeMatch arrives; median of 5 rounds' },
    { name: 'discovery.complete_ms_8', value: eight.complete, unit: 'ms', note: '8 emulated cameras, 8 queries at once; median of 5 rounds' },
    { name: 'discovery.round_ms_8', value: eight.round, unit: 'ms', note: 'whole round incl. the 1 s listening window' },
    { name: 'discovery.follow_ms', value: median(follow), unit: 'ms', goal: '<= interval + round', note: `address change -> new URL to the camera role, interval 5 s, probe 1 s; moves: ${follow.join(', ')} ms` },
    { name: 'discovery.follow_ms_max', value: Math.max(...follow), unit: 'ms', note: 'worst of the 5 moves' },
  ];
}
