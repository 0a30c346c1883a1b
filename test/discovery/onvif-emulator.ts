/**
 * An ONVIF camera emulator for the discovery tests (issue 16), run inside its own network namespace
 * (`ip netns exec <ns> node --import tsx test/discovery/onvif-emulator.ts '<json>'`):
 *  - a WS-Discovery responder on 239.255.255.250:3702 that answers Probes for
 *    NetworkVideoTransmitter with a ProbeMatch whose RelatesTo is the Probe's MessageID, and XAddrs
 *    on the namespace's current address (so an address change is seen as a move);
 *  - an HTTP SOAP server answering GetSystemDateAndTime, GetServices, GetCapabilities,
 *    GetDeviceInformation, GetNetworkInterfaces, GetProfiles, GetVideoSources, GetStreamUri and
 *    GetSnapshotUri from test/discovery/fixtures/*.xml; with a username set it checks the
 *    WS-Security PasswordDigest (everything but GetSystemDateAndTime) and faults without it.
 * Fault modes (the `fault` option, or `fault <mode>` on stdin): garbage, duplicate, wrong_relates,
 * oversized, flood (datagrams, sent besides a valid answer); silent (no answer at all); soap_fault, slow,
 * reset, huge, bad_xml (HTTP). Prints `ready <http port>` once both sockets listen; logs each SOAP
 * action as `action <name>` on stdout.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface EmulatorOptions {
  serial: string;
  mac: string;
  manufacturer?: string;
  model?: string;
  httpPort?: number;
  rtspPort?: number;
  rtspPath?: string;
  username?: string;
  password?: string;
  fault?: string;
  /** An older device without GetServices (ActionNotSupported): clients fall back to GetCapabilities. */
  legacy?: boolean;
}

const o = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions;
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, `${name}.xml`), 'utf8');
const endpoint = randomUUID();
let fault = o.fault ?? 'none';

function currentAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

function fill(xml: string, vars: Record<string, string>): string {
  return xml.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? '');
}

function baseVars(host: string, httpPort: number): Record<string, string> {
  const d = new Date();
  return {
    HOST: host,
    HTTP_PORT: String(httpPort),
    RTSP_PORT: String(o.rtspPort ?? 8554),
    RTSP_PATH: o.rtspPath ?? 'cam1',
    SERIAL: o.serial,
    MAC: o.mac,
    MANUFACTURER: o.manufacturer ?? 'EmuCam',
    MODEL: o.model ?? 'EC-200',
    YEAR: String(d.getUTCFullYear()),
    MONTH: String(d.getUTCMonth() + 1),
    DAY: String(d.getUTCDate()),
    HOUR: String(d.getUTCHours()),
    MINUTE: String(d.getUTCMinutes()),
    SECOND: String(d.getUTCSeconds()),
    ENDPOINT: endpoint,
  };
}

// ---- WS-Discovery ----
const udp = createSocket({ type: 'udp4', reuseAddr: true });
udp.on('message', (msg, rinfo) => {
  const text = msg.toString('utf8');
  const id = /<(?:\w+:)?MessageID[^>]*>([^<]+)</.exec(text)?.[1]?.trim();
  if (!id || !/Probe\b/.test(text) || /ProbeMatches/.test(text)) return;
  const types = /<(?:\w+:)?Types[^>]*>([^<]*)</.exec(text)?.[1] ?? '';
  if (types && !/NetworkVideoTransmitter/.test(types)) return;
  if (fault === 'silent') return;
  const answer = fill(fixture('ProbeMatches'), { ...baseVars(currentAddress(), httpPort), RELATES_TO: id, OWN_ID: randomUUID() });
  const send = (b: Buffer | string) => udp.send(typeof b === 'string' ? Buffer.from(b) : b, rinfo.port, rinfo.address);
  if (fault === 'garbage') send(Buffer.from([0x3c, 0x00, 0xff, 0xfe, 0x41, 0x3e, 0x0a]));
  if (fault === 'wrong_relates') send(answer.replace(`>${id}<`, '>urn:uuid:00000000-0000-0000-0000-000000000000<'));
  if (fault === 'oversized') send(answer.replace('</d:ProbeMatches>', `<x>${'A'.repeat(20_000)}</x></d:ProbeMatches>`));
  send(answer);
  if (fault === 'duplicate') send(answer);
  if (fault === 'flood') {
    // 300 distinct devices (new endpoints, a closed port): the client must cap what it keeps.
    // Paced (2 per ms) so the receiver's socket buffer, not the test, decides nothing is lost.
    let i = 0;
    const burst = () => {
      for (let k = 0; k < 2 && i < 300; k++, i++) send(answer.replace(`urn:uuid:${endpoint}`, `urn:uuid:${randomUUID()}`).replace(`:${httpPort}/`, ':1/'));
      if (i < 300) setTimeout(burst, 1);
    };
    burst();
  }
});

// ---- HTTP SOAP ----
function checkAuth(body: string): boolean {
  if (!o.username) return true;
  const user = /<(?:\w+:)?Username>([^<]*)</.exec(body)?.[1];
  const digest = /<(?:\w+:)?Password[^>]*>([^<]*)</.exec(body)?.[1];
  const nonce = /<(?:\w+:)?Nonce[^>]*>([^<]*)</.exec(body)?.[1];
  const created = /<(?:\w+:)?Created[^>]*>([^<]*)</.exec(body)?.[1];
  if (user !== o.username || !digest || !nonce || !created) return false;
  const want = createHash('sha1').update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created + (o.password ?? ''))])).digest('base64');
  return want === digest;
}

const ACTIONS = new Set(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities', 'GetDeviceInformation', 'GetNetworkInterfaces', 'GetProfiles', 'GetVideoSources', 'GetStreamUri', 'GetSnapshotUri']);

function respond(req: IncomingMessage, res: ServerResponse, body: string): void {
  const action = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(body)?.[1] ?? '';
  process.stdout.write(`action ${action}\n`);
  const host = req.socket.localAddress?.replace(/^::ffff:/, '') ?? currentAddress();
  const vars = { ...baseVars(host, httpPort), PROFILE: /<(?:\w+:)?ProfileToken>([^<]*)</.exec(body)?.[1] ?? '' };
  const send = (status: number, xml: string) => {
    res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
    res.end(xml);
  };
  const faultXml = (sub: string, reason: string) => fill(fixture('Fault'), { SUBCODE: sub, REASON: reason });
  if (action !== 'GetSystemDateAndTime') {
    if (fault === 'reset') return void req.socket.destroy();
    if (fault === 'bad_xml') return send(200, '<html><body>this is not SOAP</body>');
    if (fault === 'slow') {
      // Drips a valid answer one byte every 300 ms: an idle timeout never fires, a deadline must.
      const xml = Buffer.from(fill(fixture(ACTIONS.has(action) ? action : 'Fault'), vars));
      res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8', 'content-length': String(xml.length) });
      let i = 0;
      const t = setInterval(() => {
        if (i >= xml.length || res.destroyed) return void clearInterval(t);
        res.write(xml.subarray(i, ++i));
      }, 300);
      res.on('close', () => clearInterval(t));
      return;
    }
  }
  if (action !== 'GetSystemDateAndTime' && !checkAuth(body)) return send(400, faultXml('NotAuthorized', 'Sender not Authorized'));
  if (!ACTIONS.has(action) || (o.legacy && action === 'GetServices')) return send(500, faultXml('ActionNotSupported', `${action} not supported`));
  if (fault === 'soap_fault' && action === 'GetDeviceInformation') return send(500, faultXml('InvalidArgVal', 'emulated fault'));
  if (fault === 'huge' && action === 'GetProfiles') {
    // 4 MiB of valid XML: a client without a bound would buffer it all.
    res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
    const chunk = `<tt:Pad>${'x'.repeat(64 * 1024)}</tt:Pad>`;
    let n = 0;
    const more = () => {
      while (n < 64) {
        n++;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end(fill(fixture('GetProfiles'), vars));
    };
    res.on('error', () => undefined);
    return more();
  }
  send(200, fill(fixture(action), vars));
}

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > 1 << 20) req.destroy();
    else parts.push(c);
  });
  req.on('end', () => respond(req, res, Buffer.concat(parts).toString('utf8')));
  req.on('error', () => undefined);
});
server.on('clientError', (_e, s) => s.destroy());
let httpPort = o.httpPort ?? 8080;

udp.bind(3702, () => {
  // No interface given: the namespace's multicast route picks eth0, and the membership survives an address change.
  udp.addMembership('239.255.255.250');
  server.listen(httpPort, '0.0.0.0', () => {
    const a = server.address();
    if (a && typeof a === 'object') httpPort = a.port;
    process.stdout.write(`ready ${httpPort}\n`);
  });
});

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'fault') {
    fault = arg ?? 'none';
    process.stdout.write(`fault ${fault}\n`);
  }
  if (cmd === 'quit') process.exit(0);
});
process.stdin.on('end', () => process.exit(0));
