/**
 * The pure core of discovery (issue 16): merge ONVIF and mDNS findings into one list of cameras,
 * match configured identities (serial / MAC) against it, and build stream URLs with the site's
 * credentials. No I/O, no clock: everything here is unit-tested directly.
 */
import type { CameraOnvifIdentity } from '../capture/config.js';
import { normaliseMac } from '../capture/config.js';
import type { MdnsService } from './mdns.js';
import type { OnvifDevice, OnvifProfile, QueryFailure } from './onvif-query.js';
import { pickXaddr, type ProbeMatch } from './ws-discovery.js';

/** One camera as discovery sees it. */
export interface DiscoveredCamera {
  /** IPv4 address it was found at. */
  address: string;
  /** Found by WS-Discovery (onvif), mDNS, or both. */
  source: 'onvif' | 'mdns' | 'onvif+mdns';
  /** WS-Discovery endpoint (urn:uuid:...), if any. */
  endpoint: string | null;
  /** ONVIF device service URL, if any. */
  xaddr: string | null;
  manufacturer: string | null;
  model: string | null;
  serial: string | null;
  mac: string | null;
  profiles: OnvifProfile[];
  /** mDNS instance names seen at this address. */
  mdnsNames: string[];
  /** An RTSP URL advertised over mDNS (without credentials), if any. */
  mdnsRtsp: string | null;
  /** Why the ONVIF query failed (the device is listed, without details), or null. */
  queryError: { code: QueryFailure; reason: string } | null;
}

/** The outcome of one ONVIF query, as {@link mergeFindings} takes it. */
export interface QueriedMatch {
  match: ProbeMatch;
  result: { ok: true; device: OnvifDevice } | { ok: false; code: QueryFailure; reason: string };
}

const hostOf = (u: string): string => {
  try {
    return new URL(u).hostname;
  } catch {
    return '';
  }
};

/** Merges probe results and mDNS services by address; sorted by address (numerically). */
export function mergeFindings(queried: readonly QueriedMatch[], mdns: readonly MdnsService[]): DiscoveredCamera[] {
  const byAddress = new Map<string, DiscoveredCamera>();
  for (const q of queried) {
    const xaddr = pickXaddr(q.match.xaddrs, q.match.from);
    const address = hostOf(xaddr) || q.match.from;
    const d = q.result.ok ? q.result.device : null;
    byAddress.set(address, {
      address,
      source: 'onvif',
      endpoint: q.match.endpoint,
      xaddr,
      manufacturer: d?.manufacturer ?? null,
      model: d?.model ?? null,
      serial: d?.serial ?? null,
      mac: d?.mac ?? null,
      profiles: d?.profiles ?? [],
      mdnsNames: [],
      mdnsRtsp: null,
      queryError: q.result.ok ? null : { code: q.result.code, reason: q.result.reason },
    });
  }
  for (const s of mdns) {
    for (const address of s.addresses.slice(0, 1)) {
      let c = byAddress.get(address);
      if (!c) {
        c = { address, source: 'mdns', endpoint: null, xaddr: null, manufacturer: null, model: null, serial: null, mac: null, profiles: [], mdnsNames: [], mdnsRtsp: null, queryError: null };
        byAddress.set(address, c);
      } else if (c.source === 'onvif') c.source = 'onvif+mdns';
      if (!c.mdnsNames.includes(s.name)) c.mdnsNames.push(s.name);
      if (s.type === 'rtsp' && s.port > 0 && !c.mdnsRtsp) {
        const path = (s.txt.path ?? '').replace(/^\/?/, '/');
        c.mdnsRtsp = `rtsp://${address}:${s.port}${path === '/' ? '/' : path}`;
      }
      if (s.type === 'onvif' && s.port > 0 && !c.xaddr) c.xaddr = `http://${address}:${s.port}${(s.txt.path ?? '/onvif/device_service').replace(/^\/?/, '/')}`;
    }
  }
  return [...byAddress.values()].sort((a, b) => ipKey(a.address) - ipKey(b.address) || a.address.localeCompare(b.address));
}

function ipKey(a: string): number {
  const p = a.split('.').map(Number);
  return p.length === 4 && p.every((n) => Number.isInteger(n)) ? ((p[0] * 256 + p[1]) * 256 + p[2]) * 256 + p[3] : Number.MAX_SAFE_INTEGER;
}

/** Whether a discovered camera is the one an identity names (both given: both must match). */
export function identityMatches(id: CameraOnvifIdentity, c: DiscoveredCamera): boolean {
  if (id.serial === undefined && id.mac === undefined) return false;
  if (id.serial !== undefined && (c.serial === null || c.serial.trim() !== id.serial.trim())) return false;
  if (id.mac !== undefined && (c.mac === null || normaliseMac(c.mac) !== normaliseMac(id.mac))) return false;
  return true;
}

/** The profile an identity asks for (token or name), else the first with a stream URI. */
export function chooseProfile(c: DiscoveredCamera, profile?: string): OnvifProfile | null {
  const withUri = c.profiles.filter((p) => p.streamUri);
  if (profile !== undefined) return withUri.find((p) => p.token === profile) ?? withUri.find((p) => p.name === profile) ?? null;
  return withUri[0] ?? null;
}

/**
 * The stream URL the node opens: the profile's RTSP URI with the site credentials put in when the
 * URI carries none (cameras answer GetStreamUri without them). Null when there is no usable URI.
 */
export function streamUrlFor(c: DiscoveredCamera, credentials: { username: string; password: string }, profile?: string): string | null {
  const uri = chooseProfile(c, profile)?.streamUri ?? (profile === undefined ? c.mdnsRtsp : null);
  if (!uri) return null;
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return null;
  }
  if (!/^rtsps?:$/.test(u.protocol)) return null;
  if (!u.username && credentials.username) {
    u.username = encodeURIComponent(credentials.username);
    u.password = encodeURIComponent(credentials.password);
  }
  return u.toString();
}

/** Which discovered camera (index) each configured camera is, by identity or by URL host. */
export function configuredMatches(
  cameras: ReadonlyArray<{ id: string; url: string; onvif?: CameraOnvifIdentity | undefined }>,
  found: readonly DiscoveredCamera[],
): Map<number, string> {
  const out = new Map<number, string>();
  for (const cam of cameras) {
    const i = cam.onvif ? found.findIndex((c) => identityMatches(cam.onvif!, c)) : cam.url ? found.findIndex((c) => c.address === hostOf(cam.url)) : -1;
    if (i >= 0 && !out.has(i)) out.set(i, cam.id);
  }
  return out;
}
