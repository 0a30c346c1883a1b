/**
 * mDNS/DNS-SD browsing (issue 16) with bonjour-service: `_rtsp._tcp` and `_onvif._tcp` on each
 * interface for `browseMs`. multicast-dns binds the unicast address when only `interface` is given
 * and then hears no answers (they go to 224.0.0.251); `bind: '0.0.0.0'` with `interface` receives
 * them on the wildcard socket and still sends through that interface.
 */
import { Bonjour, type Service } from 'bonjour-service';
import { onSubnet, type ProbeInterface } from './ws-discovery.js';

/** One service instance seen. */
export interface MdnsService {
  name: string;
  /** `rtsp` or `onvif`. */
  type: string;
  host: string;
  port: number;
  addresses: string[];
  txt: Record<string, string>;
  iface: string;
}

/** The mDNS service types browsed. */
export const MDNS_TYPES = ['rtsp', 'onvif'] as const;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Plain, bounded TXT values (a TXT record is attacker-controlled text). */
function txtOf(t: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!t || typeof t !== 'object') return out;
  for (const [k, v] of Object.entries(t as Record<string, unknown>).slice(0, 32)) {
    const s = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
    if (s !== null) out[k.slice(0, 64)] = s.slice(0, 256);
  }
  return out;
}

/** Browses every interface at once; never throws (a socket error ends that interface's browse). */
export async function mdnsBrowse(opts: { interfaces: readonly ProbeInterface[]; browseMs: number }): Promise<{ services: MdnsService[]; errors: Array<{ iface: string; reason: string }> }> {
  const found = new Map<string, MdnsService>();
  const errors: Array<{ iface: string; reason: string }> = [];
  const instances: Bonjour[] = [];
  for (const iface of opts.interfaces) {
    let b: Bonjour;
    try {
      // multicast-dns options (interface, bind) pass through the constructor's options object.
      b = new Bonjour({ interface: iface.address, bind: '0.0.0.0' } as unknown as ConstructorParameters<typeof Bonjour>[0], (e: Error) => errors.push({ iface: iface.name, reason: e.message }));
    } catch (e) {
      errors.push({ iface: iface.name, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    instances.push(b);
    for (const type of MDNS_TYPES) {
      b.find({ type, protocol: 'tcp' }, (s: Service) => {
        // The browsing socket is bound to 0.0.0.0, so it also hears answers that arrived on other
        // interfaces: keep only what is on this interface's subnet (what "browse on eth0" means).
        const addresses = (s.addresses ?? []).filter((a) => IPV4.test(a) && onSubnet(iface, a));
        if (addresses.length === 0 && s.referer?.address && onSubnet(iface, s.referer.address)) addresses.push(s.referer.address);
        if (addresses.length === 0) return;
        const key = `${type}|${s.fqdn ?? s.name}`;
        // Bounded like the probe: a flood of announcements cannot grow this without limit.
        if (found.has(key) || found.size >= 256) return;
        found.set(key, { name: String(s.name).slice(0, 128), type, host: String(s.host ?? '').slice(0, 256), port: Number(s.port) || 0, addresses, txt: txtOf(s.txt), iface: iface.name });
      });
    }
  }
  await new Promise((r) => setTimeout(r, opts.browseMs));
  await Promise.all(instances.map((b) => new Promise<void>((resolve) => {
    try {
      b.destroy(() => resolve());
    } catch {
      resolve();
    }
    setTimeout(resolve, 500).unref();
  })));
  return { services: [...found.values()], errors };
}
