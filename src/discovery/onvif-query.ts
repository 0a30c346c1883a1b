/**
 * ONVIF device queries through the `onvif` client (0.8.x): GetSystemDateAndTime, GetServices (or
 * GetCapabilities), GetProfiles, GetVideoSources (its connect sequence), then GetDeviceInformation,
 * GetNetworkInterfaces (MAC, optional), GetStreamUri and GetSnapshotUri per profile.
 *
 * The client buffers a whole response without a limit and only has an idle socket timeout, so a
 * device that answers with megabytes or drips one byte a second could hold memory or the round.
 * Both bounds are added around it here: every socket goes through an agent that counts response
 * bytes and destroys the socket past `maxResponseBytes`, and the whole query has one deadline after
 * which its sockets are destroyed. Failures come back as values with a reason code to count.
 */
import { Agent, type AgentOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import onvif from 'onvif';
import { normaliseMac } from '../capture/config.js';

/** A profile of a device: its token, name, resolution and URIs. */
export interface OnvifProfile {
  token: string;
  name: string;
  width: number | null;
  height: number | null;
  encoding: string | null;
  streamUri: string | null;
  snapshotUri: string | null;
}

/** What an ONVIF device told us. */
export interface OnvifDevice {
  xaddr: string;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  hardwareId: string | null;
  mac: string | null;
  profiles: OnvifProfile[];
}

/** Why a device query failed (the metric label). */
export type QueryFailure = 'timeout' | 'too_large' | 'soap_fault' | 'http_error' | 'connection' | 'bad_response';

/** Query outcome. */
export type QueryResult = { ok: true; device: OnvifDevice } | { ok: false; code: QueryFailure; reason: string };

/** Options of {@link queryOnvifDevice}. */
export interface QueryOptions {
  xaddr: string;
  username: string;
  password: string;
  deadlineMs: number;
  maxResponseBytes: number;
}

class TooLarge extends Error {
  constructor(limit: number) {
    super(`response larger than ${limit} bytes`);
  }
}

/** An agent whose sockets are destroyed past `limit` received bytes (per socket: one request each, no keep-alive). */
class BoundedAgent extends Agent {
  readonly sockets_: Set<Socket> = new Set();
  /** Set once any response broke the bound (the client swallows some failures, e.g. of GetProfiles). */
  tripped = false;
  constructor(
    private readonly limit: number,
    opts: AgentOptions,
  ) {
    super(opts);
  }
  override createConnection(options: object, cb?: (err: Error | null, s: Duplex) => void): Duplex {
    // Agent.prototype.createConnection is net.createConnection; typed loosely in @types/node.
    const s = (Agent.prototype as unknown as { createConnection: (o: object, cb?: unknown) => Socket }).createConnection.call(this, options, cb);
    let n = 0;
    this.sockets_.add(s);
    s.on('data', (chunk: Buffer) => {
      n += chunk.length;
      if (n > this.limit) {
        this.tripped = true;
        s.destroy(new TooLarge(this.limit));
      }
    });
    s.on('close', () => this.sockets_.delete(s));
    return s;
  }
  destroyAll(): void {
    for (const s of this.sockets_) s.destroy();
    this.destroy();
  }
}

type Callback<T> = (err: Error | null, value: T) => void;
type Cam = InstanceType<typeof onvif.Cam>;

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
};

function classify(e: Error): { code: QueryFailure; reason: string } {
  if (e instanceof TooLarge || /larger than/.test(e.message)) return { code: 'too_large', reason: e.message };
  const m = e.message;
  if (/timeout/i.test(m)) return { code: 'timeout', reason: m };
  if (/ECONNRESET|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|socket hang up|EPIPE/.test(m)) return { code: 'connection', reason: m };
  if (/Digest authentication|401|403|status/i.test(m)) return { code: 'http_error', reason: m };
  if (/Wrong ONVIF SOAP response|Unexpected|Non-whitespace|Invalid|Unclosed|parse/i.test(m)) return { code: 'bad_response', reason: m };
  return { code: 'soap_fault', reason: m };
}

/** Queries one device; never throws; settles within `deadlineMs` (plus the socket teardown). */
export async function queryOnvifDevice(o: QueryOptions): Promise<QueryResult> {
  let url: URL;
  try {
    url = new URL(o.xaddr);
  } catch {
    return { ok: false, code: 'bad_response', reason: 'XAddr is not a URL' };
  }
  const agent = new BoundedAgent(o.maxResponseBytes, { keepAlive: false });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<QueryResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'timeout', reason: `no complete answer within ${o.deadlineMs} ms` }), o.deadlineMs);
  });
  try {
    return await Promise.race([deadline, run(url, o, agent)]);
  } finally {
    clearTimeout(timer);
    agent.destroyAll();
  }
}

async function run(url: URL, o: QueryOptions, agent: BoundedAgent): Promise<QueryResult> {
  const cam: Cam = new onvif.Cam({
    hostname: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    path: url.pathname || '/onvif/device_service',
    username: o.username || undefined,
    password: o.password || undefined,
    timeout: o.deadlineMs,
    agent,
    autoconnect: false,
    // The address we reached it at is the one that works from here (service XAddrs may name another).
    preserveAddress: true,
  });
  // An EventEmitter 'error' without a listener would crash the process. The client emits it only
  // from its event-subscription code, which is never used here; any failure of the calls made
  // below arrives through their callbacks and is classified and counted by the caller.
  cam.on('error', () => undefined);
  // connect() turns a failed GetProfiles/GetVideoSources into a 'warning' and goes on without media.
  let warning: string | null = null;
  cam.on('warning', (w: unknown) => (warning = String(w)));
  // getActiveSources() throws on a profile list it does not recognise, inside a socket callback
  // where nothing catches it (an uncaught exception would end the node): keep the throw here.
  const activeSources = (cam as unknown as { getActiveSources: () => void }).getActiveSources;
  (cam as unknown as { getActiveSources: () => void }).getActiveSources = function (this: unknown) {
    try {
      activeSources.call(this);
    } catch (e) {
      warning = e instanceof Error ? e.message : String(e);
    }
  };
  const call = <T>(f: (cb: Callback<T>) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      try {
        f((err, v) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(v)));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  try {
    await call<unknown>((cb) => cam.connect(cb as never));
    const info = (await call<Record<string, unknown>>((cb) => cam.getDeviceInformation(cb as never))) ?? {};
    let mac: string | null = null;
    try {
      const ifs = await call<unknown[]>((cb) => cam.getNetworkInterfaces(cb as never));
      for (const i of ifs ?? []) {
        const hw = str((i as { info?: { hwAddress?: unknown } })?.info?.hwAddress);
        if (hw && normaliseMac(hw)) {
          mac = normaliseMac(hw);
          break;
        }
      }
    } catch (e) {
      // MAC is "where exposed": a device without GetNetworkInterfaces still counts, a bound breach does not.
      if (e instanceof TooLarge || /larger than/.test((e as Error).message)) throw e;
    }
    const raw = ((cam as unknown as { profiles?: unknown[] }).profiles ?? []) as Array<Record<string, unknown>>;
    const profiles: OnvifProfile[] = [];
    for (const p of raw) {
      const token = str((p.$ as { token?: unknown } | undefined)?.token);
      if (!token) continue;
      const enc = (p.videoEncoderConfiguration ?? {}) as { resolution?: { width?: unknown; height?: unknown }; encoding?: unknown };
      const stream = await call<{ uri?: unknown }>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: token }, cb as never));
      let snapshot: { uri?: unknown } | null = null;
      try {
        snapshot = await call<{ uri?: unknown }>((cb) => cam.getSnapshotUri({ profileToken: token }, cb as never));
      } catch (e) {
        if (e instanceof TooLarge || /larger than/.test((e as Error).message)) throw e;
      }
      profiles.push({
        token,
        name: str(p.name) ?? token,
        width: num(enc.resolution?.width),
        height: num(enc.resolution?.height),
        encoding: str(enc.encoding),
        streamUri: str(stream?.uri),
        snapshotUri: str(snapshot?.uri),
      });
    }
    if (agent.tripped) return { ok: false, code: 'too_large', reason: `a response was larger than ${o.maxResponseBytes} bytes` };
    if (profiles.length === 0 && warning !== null) return { ok: false, ...classify(new Error(`no media profiles: ${warning}`)) };
    return {
      ok: true,
      device: {
        xaddr: o.xaddr,
        manufacturer: str(info.manufacturer),
        model: str(info.model),
        firmware: str(info.firmwareVersion),
        serial: str(info.serialNumber),
        hardwareId: str(info.hardwareId),
        mac,
        profiles,
      },
    };
  } catch (e) {
    if (agent.tripped) return { ok: false, code: 'too_large', reason: `a response was larger than ${o.maxResponseBytes} bytes` };
    return { ok: false, ...classify(e instanceof Error ? e : new Error(String(e))) };
  }
}
