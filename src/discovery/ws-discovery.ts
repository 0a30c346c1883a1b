/**
 * ONVIF WS-Discovery client (issue 16): one multicast Probe for `dn:NetworkVideoTransmitter` per
 * interface to 239.255.255.250:3702, then ProbeMatches collected for `probeMs`.
 *
 * Hand-written on node:dgram rather than onvif's Discovery.probe (0.8.x): that one is a process-wide
 * singleton emitter (two interfaces probed at once mix their answers), does not check RelatesTo
 * against the Probe's MessageID (its own TODO), and reports a garbage datagram as an error event
 * without a reason we could count. Here every datagram is bounded, parsed by {@link parseProbeMatches}
 * (pure), and either accepted or rejected with a reason; matches are de-duplicated by the endpoint
 * address (a camera answers once per interface and some answer twice).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { fail, ok, type Result } from '../core/result.js';

export const WS_DISCOVERY_ADDRESS = '239.255.255.250';
export const WS_DISCOVERY_PORT = 3702;
/** Larger datagrams are refused unread (a ProbeMatch is a few KiB; UDP allows 64 KiB). */
export const MAX_DATAGRAM_BYTES = 16 * 1024;
/** Devices kept per round; more are refused (`too_many`): a flood cannot grow memory or queries. */
export const MAX_DEVICES = 256;

/** One accepted ProbeMatch. */
export interface ProbeMatch {
  /** wsa:EndpointReference/Address, the device's stable id (usually urn:uuid:...). */
  endpoint: string;
  /** Device service URLs (XAddrs), http(s) only. */
  xaddrs: string[];
  scopes: string[];
  types: string[];
  /** Source address of the datagram. */
  from: string;
  /** Interface name it arrived on. */
  iface: string;
}

/** Why a datagram was refused (the metric label). */
export type RejectReason = 'oversized' | 'not_soap' | 'not_probe_match' | 'wrong_relates_to' | 'no_endpoint' | 'no_xaddrs' | 'duplicate' | 'too_many';

/** The Probe envelope (SOAP 1.2, WS-Addressing 2004/08, WS-Discovery 2005/04). */
export function buildProbe(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    '<s:Header><a:MessageID>' + messageId + '</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>' +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
  );
}

/** Text of every element named `local` (any namespace prefix); entities decoded. */
function elements(xml: string, local: string): string[] {
  const re = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[A-Za-z_][\\w.-]*:)?${local}\\s*>`, 'g');
  const out: string[] = [];
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(decodeEntities(m[1].trim()));
  return out;
}

function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');
}

const words = (s: string | undefined): string[] => (s ? s.split(/\s+/).filter(Boolean) : []);

/**
 * Parses one datagram as a ProbeMatches answer to `messageId` (pure). A datagram can hold several
 * ProbeMatch elements (a recorder answering for its channels); each needs an endpoint and at least
 * one http(s) XAddr.
 */
export function parseProbeMatches(text: string, messageId: string): Result<Array<Omit<ProbeMatch, 'from' | 'iface'>>> & { code?: RejectReason } {
  const refuse = (code: RejectReason, reason: string) => ({ ...fail(reason), code });
  if (!/<(?:[\w.-]+:)?Envelope[\s>]/.test(text) || !/<(?:[\w.-]+:)?Body[\s>]/.test(text)) return refuse('not_soap', 'not a SOAP envelope');
  if (!/<(?:[\w.-]+:)?ProbeMatches[\s>]/.test(text)) return refuse('not_probe_match', 'not a ProbeMatches message');
  const relates = elements(text, 'RelatesTo');
  if (relates.length !== 1 || relates[0] !== messageId) return refuse('wrong_relates_to', `RelatesTo ${relates[0] ?? '(none)'} is not our probe`);
  const blocks = text.split(/<(?:[\w.-]+:)?ProbeMatch[\s>]/).slice(1);
  const out: Array<Omit<ProbeMatch, 'from' | 'iface'>> = [];
  let noXaddr = false;
  for (const b of blocks) {
    const endpoint = elements(b, 'Address')[0];
    if (!endpoint) continue;
    const xaddrs = words(elements(b, 'XAddrs')[0]).filter((u) => {
      try {
        const p = new URL(u);
        return (p.protocol === 'http:' || p.protocol === 'https:') && p.hostname !== '';
      } catch {
        return false;
      }
    });
    if (xaddrs.length === 0) {
      noXaddr = true;
      continue;
    }
    out.push({ endpoint, xaddrs, scopes: words(elements(b, 'Scopes')[0]), types: words(elements(b, 'Types')[0]) });
  }
  if (out.length === 0) return noXaddr ? refuse('no_xaddrs', 'no usable http(s) XAddrs') : refuse('no_endpoint', 'no EndpointReference address');
  return ok(out);
}

/** The XAddr to query: the one on the address the answer came from, else the first. */
export function pickXaddr(xaddrs: readonly string[], from: string): string {
  return xaddrs.find((u) => new URL(u).hostname === from) ?? xaddrs[0];
}

/** An interface to probe on. */
export interface ProbeInterface {
  name: string;
  address: string;
  /** IPv4 netmask (dotted), when known: answers from outside the interface's subnet are ignored. */
  netmask?: string;
}

/** Whether `address` is on `iface`'s subnet (true when the netmask is unknown). */
export function onSubnet(iface: ProbeInterface, address: string): boolean {
  if (!iface.netmask) return true;
  const n = (a: string) => a.split('.').reduce((acc, o) => (acc << 8) + (Number(o) & 255), 0) >>> 0;
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return false;
  const m = n(iface.netmask);
  return ((n(address) & m) >>> 0) === ((n(iface.address) & m) >>> 0);
}

/** What one probe round found and refused. */
export interface ProbeResult {
  matches: ProbeMatch[];
  rejected: Partial<Record<RejectReason, number>>;
  /** Interfaces that could not be probed, with the reason (bind/send errors). */
  interfaceErrors: Array<{ iface: string; reason: string }>;
}

/**
 * Probes on every interface at once and listens `probeMs`. Never throws; a socket error on one
 * interface is reported and the others go on.
 */
export async function wsDiscoveryProbe(opts: {
  interfaces: readonly ProbeInterface[];
  probeMs: number;
  messageId?: string;
  maxDatagramBytes?: number;
  /** Called for each new match as it arrives (the caller can query it before the window ends). */
  onMatch?: (m: ProbeMatch) => void;
}): Promise<ProbeResult> {
  const messageId = opts.messageId ?? `urn:uuid:${randomUUID()}`;
  const max = opts.maxDatagramBytes ?? MAX_DATAGRAM_BYTES;
  const probe = Buffer.from(buildProbe(messageId));
  const seen = new Map<string, ProbeMatch>();
  const rejected: Partial<Record<RejectReason, number>> = {};
  const interfaceErrors: ProbeResult['interfaceErrors'] = [];
  const count = (r: RejectReason) => void (rejected[r] = (rejected[r] ?? 0) + 1);
  const sockets: Socket[] = [];
  await Promise.all(
    opts.interfaces.map(
      (iface) =>
        new Promise<void>((resolve) => {
          const s = createSocket({ type: 'udp4' });
          sockets.push(s);
          let settled = false;
          const done = (reason?: string) => {
            if (reason) interfaceErrors.push({ iface: iface.name, reason });
            if (!settled) {
              settled = true;
              resolve();
            }
          };
          s.on('error', (e) => done(e.message));
          s.on('message', (msg, rinfo) => {
            if (msg.length > max) return count('oversized');
            const r = parseProbeMatches(msg.toString('utf8'), messageId);
            if (!r.ok) return count(r.code ?? 'not_soap');
            for (const m of r.value) {
              if (seen.has(m.endpoint)) count('duplicate');
              else if (seen.size >= MAX_DEVICES) count('too_many');
              else {
                const match = { ...m, from: rinfo.address, iface: iface.name };
                seen.set(m.endpoint, match);
                opts.onMatch?.(match);
              }
            }
          });
          // Bound to the interface's address: the probe leaves through it and unicast answers come back to it.
          s.bind(0, iface.address, () => {
            try {
              s.setMulticastInterface(iface.address);
              s.setMulticastTTL(1);
            } catch (e) {
              return done(e instanceof Error ? e.message : String(e));
            }
            s.send(probe, WS_DISCOVERY_PORT, WS_DISCOVERY_ADDRESS, (err) => done(err ? `probe not sent: ${err.message}` : undefined));
          });
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, opts.probeMs));
  for (const s of sockets) {
    try {
      s.close();
    } catch {
      // already closed after an error
    }
  }
  return { matches: [...seen.values()], rejected, interfaceErrors };
}
