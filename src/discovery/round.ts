/**
 * One discovery round (issue 16): WS-Discovery probe and mDNS browse on the chosen interfaces at
 * once, then the ONVIF query of every device found (a few at a time, each under its deadline),
 * merged by the pure core. Used by the node's discovery part and by `wildfire-edge discover`.
 * Everything is asynchronous I/O with bounded sizes: a round never blocks the main loop.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { DiscoveryConfig } from './config.js';
import { mergeFindings, type DiscoveredCamera, type QueriedMatch } from './merge.js';
import { mdnsBrowse } from './mdns.js';
import { queryOnvifDevice, type QueryFailure } from './onvif-query.js';
import { pickXaddr, wsDiscoveryProbe, type ProbeInterface, type ProbeMatch, type RejectReason } from './ws-discovery.js';

/** What one round produced. */
export interface DiscoveryRound {
  cameras: DiscoveredCamera[];
  interfaces: ProbeInterface[];
  /** ProbeMatches accepted (distinct endpoints, at most MAX_DEVICES); cameras are merged by address. */
  devices: number;
  /** Datagrams refused, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** ONVIF queries that failed, by reason. */
  queryFailures: Partial<Record<QueryFailure, number>>;
  /** Interface problems (unknown name, bind/send error). */
  errors: string[];
  durationMs: number;
  /** Ms from the round's start until the last ONVIF device was queried (null: none found). */
  completeAfterMs: number | null;
}

/** Interfaces to use: the named ones (unknown names reported), else every non-internal IPv4 one. */
export function resolveInterfaces(names: readonly string[], table: NodeJS.Dict<NetworkInterfaceInfo[]>): { interfaces: ProbeInterface[]; errors: string[] } {
  const errors: string[] = [];
  const out: ProbeInterface[] = [];
  const v4 = (name: string) => (table[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal);
  if (names.length > 0) {
    for (const name of names) {
      const a = v4(name);
      if (a) out.push({ name, address: a.address, netmask: a.netmask });
      else errors.push(table[name] ? `interface ${name} has no non-loopback IPv4 address` : `no interface named ${name}`);
    }
  } else {
    for (const name of Object.keys(table).sort()) {
      const a = v4(name);
      if (a) out.push({ name, address: a.address, netmask: a.netmask });
    }
    if (out.length === 0) errors.push('no non-loopback IPv4 interface to probe on');
  }
  return { interfaces: out, errors };
}

const hostOf = (u: string): string => {
  try {
    return new URL(u).hostname;
  } catch {
    return '';
  }
};

/** A counting semaphore: at most `limit` tasks at once, in arrival order. */
function limiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** One round. Never throws. */
export async function discoveryRound(cfg: DiscoveryConfig, opts: { table?: NodeJS.Dict<NetworkInterfaceInfo[]>; concurrency?: number } = {}): Promise<DiscoveryRound> {
  const t0 = performance.now();
  const { interfaces, errors } = resolveInterfaces(cfg.interfaces, opts.table ?? networkInterfaces());
  const probeMs = cfg.probeSeconds * 1000;
  const queryFailures: Partial<Record<QueryFailure, number>> = {};
  const limit = limiter(opts.concurrency ?? 8);
  const queries: Array<Promise<QueriedMatch>> = [];
  let lastQueryDone = t0;
  // Each device is queried as soon as its ProbeMatch arrives, not after the listening window.
  const onMatch = (match: ProbeMatch) => {
    queries.push(
      limit(async () => {
        const result = await queryOnvifDevice({
          xaddr: pickXaddr(match.xaddrs, match.from),
          username: cfg.credentials.username,
          password: cfg.credentials.password,
          deadlineMs: cfg.deviceTimeoutSeconds * 1000,
          maxResponseBytes: cfg.maxResponseBytes,
        });
        if (!result.ok) queryFailures[result.code] = (queryFailures[result.code] ?? 0) + 1;
        lastQueryDone = Math.max(lastQueryDone, performance.now());
        return { match, result };
      }),
    );
  };
  const [probe, mdns] = await Promise.all([
    wsDiscoveryProbe({ interfaces, probeMs, onMatch }),
    cfg.mdns ? mdnsBrowse({ interfaces, browseMs: probeMs }) : Promise.resolve({ services: [], errors: [] }),
  ]);
  for (const e of probe.interfaceErrors) errors.push(`ws-discovery on ${e.iface}: ${e.reason}`);
  for (const e of mdns.errors) errors.push(`mdns on ${e.iface}: ${e.reason}`);
  // A camera that advertises _onvif._tcp over mDNS but did not answer the probe (some only do one
  // or the other, and multicast probes can be lost) is queried at the advertised address.
  const probed = new Set(probe.matches.flatMap((m) => [m.from, ...m.xaddrs.map(hostOf)]));
  for (const svc of mdns.services) {
    const address = svc.addresses[0];
    if (svc.type !== 'onvif' || !address || svc.port <= 0 || probed.has(address)) continue;
    probed.add(address);
    const path = (svc.txt.path ?? '/onvif/device_service').replace(/^\/?/, '/');
    onMatch({ endpoint: `mdns:${svc.name}`, xaddrs: [`http://${address}:${svc.port}${path}`], scopes: [], types: ['_onvif._tcp'], from: address, iface: svc.iface });
  }
  const queried = await Promise.all(queries);
  return {
    cameras: mergeFindings(queried, mdns.services),
    devices: probe.matches.length,
    interfaces,
    rejected: probe.rejected,
    queryFailures,
    errors,
    durationMs: Math.round(performance.now() - t0),
    completeAfterMs: queried.length ? Math.round(lastQueryDone - t0) : null,
  };
}
