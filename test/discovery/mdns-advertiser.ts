/**
 * An mDNS/DNS-SD advertiser for the discovery tests (issue 16), run inside its own network
 * namespace: publishes `_rtsp._tcp` (TXT path=...) and optionally `_onvif._tcp` with
 * bonjour-service on the namespace's address. Prints `ready` once published; exits when stdin closes.
 */
import { Bonjour } from 'bonjour-service';
import { networkInterfaces } from 'node:os';

const o = JSON.parse(process.argv[2] ?? '{}') as { name: string; rtspPort: number; path?: string; onvifPort?: number };
let address = '0.0.0.0';
for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) address = a.address;

const b = new Bonjour({ interface: address, bind: '0.0.0.0' } as unknown as ConstructorParameters<typeof Bonjour>[0]);
const s = b.publish({ name: o.name, type: 'rtsp', protocol: 'tcp', port: o.rtspPort, txt: { path: o.path ?? 'cam1' }, disableIPv6: true });
if (o.onvifPort) b.publish({ name: o.name, type: 'onvif', protocol: 'tcp', port: o.onvifPort, disableIPv6: true });
s.on('up', () => process.stdout.write('ready\n'));
process.stdin.resume();
process.stdin.on('end', () => b.destroy(() => process.exit(0)));
